import { describeUserAgent } from '../../lib/useragent'
import { api } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { TokenInfo } from '../../lib/types'
import { ErrorBox, Spinner, useAsync } from '../../ui/common'
import { formatTime } from '../../lib/text'
import { ChangePassword } from './ChangePassword'
import { TwoFactor } from './TwoFactor'

/** The password, two-factor authentication and the sessions signed in. */
export function Security () {
  const sessions = useAsync((signal) => api.get<{ items: TokenInfo[] }>('/api/v1/me/sessions', { signal }), [])
  async function revoke (id: string) {
    try { await api.del(`/api/v1/me/sessions/${id}`); sessions.reload() } catch (e) { toastError(e) }
  }
  return (
    <div class='stack'>
      <ChangePassword onChanged={sessions.reload} />
      <TwoFactor />
      <h2>Sessions</h2>
      {!sessions.data
        ? (sessions.error ? <ErrorBox error={sessions.error} retry={sessions.reload} /> : <Spinner />)
        : (
          <ul class='list'>
            {sessions.data?.items.map((t) => (
              <li key={t.id} class='list-row'>
                <span class='grow' title={t.name}>{describeUserAgent(t.name)}{t.current && <strong> (this session)</strong>}</span>
                <span class='muted small'>last seen {formatTime(t.last_seen_at)}</span>
                {!t.current && <button class='btn btn-small btn-danger' onClick={() => revoke(t.id)}>Sign out</button>}
              </li>
            ))}
          </ul>
          )}
    </div>
  )
}

import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { TokenInfo } from '../../lib/types'
import { Empty, ErrorBox, Field, Spinner, useAsync, useSubmit, confirmDialog } from '../../ui/common'
import { formatDate, formatTime } from '../../lib/text'

/** API tokens: create (shown once), list, revoke. */
export function Tokens () {
  const list = useAsync((signal) => api.get<{ items: TokenInfo[] }>('/api/v1/me/tokens', { signal }), [])
  const [name, setName] = useState('')
  const [days, setDays] = useState('')
  const [created, setCreated] = useState<string | null>(null)
  const s = useSubmit()
  async function create (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<{ token: string }>('/api/v1/me/tokens', { name, ...(days ? { expires_in_days: Number(days) } : {}) }))
    if (r) { setCreated(r.token); setName(''); list.reload() }
  }
  async function revoke (t: TokenInfo) {
    if (!await confirmDialog({ title: `Revoke the token “${t.name}”?`, message: 'Programs using it stop working at once.', action: 'Revoke', danger: true })) return
    try { await api.del(`/api/v1/me/tokens/${t.id}`); list.reload() } catch (e) { toastError(e) }
  }
  return (
    <div class='stack'>
      <p>API tokens let programs use Atrium as you, with <code>Authorization: Bearer …</code>.</p>
      <form class='row wrap' onSubmit={create}>
        <Field label='Token name' name='token-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Field label='Expires in days (optional)' name='token-days' type='number' min={1} value={days} onInput={(e) => setDays(e.currentTarget.value)} error={s.fields.expires_in_days} />
        <button class='btn btn-primary'>Create token</button>
      </form>
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {created && <div class='banner banner-info' role='status'><p>Copy the token now; it is not shown again:</p><code class='secret' data-testid='new-token'>{created}</code></div>}
      {!list.data
        ? (list.error ? <ErrorBox error={list.error} retry={list.reload} /> : <Spinner />)
        : !list.data?.items.length
            ? <Empty title='No API tokens' />
            : (
              <ul class='list'>
                {list.data.items.map((t) => (
                  <li key={t.id} class='list-row'>
                    <span class='grow'>{t.name}</span>
                    <span class='muted small'>created {formatTime(t.created_at)}{t.expires_at ? ` · expires ${formatDate(t.expires_at)}` : ''}</span>
                    <button class='btn btn-small btn-danger' onClick={() => revoke(t)}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </div>
  )
}

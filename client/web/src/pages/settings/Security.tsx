import { describeUserAgent } from '../../lib/useragent'
import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, refreshMe, toast, toastError } from '../../lib/session'
import type { TokenInfo } from '../../lib/types'
import { ErrorBox, Field, Spinner, useAsync, useSubmit } from '../../ui/common'
import { formatTime } from '../../lib/text'
import { ChangePassword } from './ChangePassword'

/** The password, two-factor authentication and the sessions signed in. */
export function Security () {
  const m = me.value!
  const [enrol, setEnrol] = useState<{ secret: string, otpauth_url: string } | null>(null)
  const [code, setCode] = useState('')
  const [recovery, setRecovery] = useState<string[] | null>(null)
  const [password, setPassword] = useState('')
  const s = useSubmit()
  const sessions = useAsync((signal) => api.get<{ items: TokenInfo[] }>('/api/v1/me/sessions', { signal }), [])
  async function begin () {
    const r = await s.run(() => api.post<{ secret: string, otpauth_url: string }>('/api/v1/me/totp'))
    if (r) setEnrol(r)
  }
  async function confirm (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<{ recovery_codes: string[] }>('/api/v1/me/totp/confirm', { code }))
    if (r) { setRecovery(r.recovery_codes); setEnrol(null); await refreshMe() }
  }
  async function disable (e: Event) {
    e.preventDefault()
    const ok = await s.run(async () => { await api.del('/api/v1/me/totp', { json: { password } } as any); return true })
    if (ok) { toast('Two-factor authentication is off', 'success'); await refreshMe() }
  }
  async function revoke (id: string) {
    try { await api.del(`/api/v1/me/sessions/${id}`); sessions.reload() } catch (e) { toastError(e) }
  }
  return (
    <div class='stack'>
      <ChangePassword onChanged={sessions.reload} />
      <h2>Two-factor authentication</h2>
      {recovery && (
        <div class='banner banner-info'>
          <p>Two-factor authentication is on. Keep these single-use recovery codes somewhere safe; they are shown only once:</p>
          <pre class='codes'>{recovery.join('\n')}</pre>
        </div>
      )}
      {m.totp_enabled
        ? (
          <form class='stack' onSubmit={disable}>
            <p>Two-factor authentication is <strong>on</strong>.</p>
            <Field label='Password (to turn it off)' name='password' type='password' value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
            <div><button class='btn btn-danger' disabled={s.pending}>Turn off</button></div>
          </form>
          )
        : enrol
          ? (
            <form class='stack' onSubmit={confirm}>
              <p>Add this key to your authenticator app, then enter the code it shows.</p>
              <p><code class='secret'>{enrol.secret}</code></p>
              <p class='muted small'><a href={enrol.otpauth_url}>Open in an authenticator app</a></p>
              <Field label='Code' name='code' inputMode='numeric' autoComplete='one-time-code' value={code} onInput={(e) => setCode(e.currentTarget.value)} error={s.fields.code} />
              <div><button class='btn btn-primary' disabled={s.pending}>Turn on</button></div>
            </form>
            )
          : <div><p>Two-factor authentication is off.</p><button class='btn' onClick={begin} disabled={s.pending}>Set up</button></div>}
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
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

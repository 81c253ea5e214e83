import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { ErrorBox, Field, useSubmit } from '../../ui/common'

/**
 * Settings → Security: change the password, knowing the current one. The server signs out the
 * other sessions; this one stays, so the form says so, clears itself and has the session list
 * reloaded (`onChanged`).
 */
export function ChangePassword ({ onChanged }: { onChanged?: () => void }) {
  const [current, setCurrent] = useState('')
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const [done, setDone] = useState(false)
  const s = useSubmit()
  async function save (e: Event) {
    e.preventDefault()
    setDone(false)
    // Caught here: the server never sees the repetition.
    if (password !== repeat) { setMismatch(true); return }
    setMismatch(false)
    const ok = await s.run(async () => { await api.post('/api/v1/me/password', { current, password }); return true })
    if (ok) {
      setCurrent('')
      setPassword('')
      setRepeat('')
      setDone(true)
      onChanged?.()
    }
  }
  const otherError = Object.keys(s.fields).length ? null : s.error
  return (
    <form class='stack narrow-form' onSubmit={save} aria-label='Change password' noValidate>
      <h2>Password</h2>
      <Field label='Current password' name='current-password' type='password' autoComplete='current-password' value={current} onInput={(e) => setCurrent(e.currentTarget.value)} error={s.fields.current} />
      <Field label='New password' name='new-password' type='password' autoComplete='new-password' value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} hint='At least 10 characters; not your name or e-mail address.' />
      <Field label='Repeat the new password' name='repeat-password' type='password' autoComplete='new-password' value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} error={mismatch ? 'does not match the new password' : undefined} />
      <ErrorBox error={otherError} />
      {done && <p class='banner banner-info' role='status'>Your password is changed. Your other sessions were signed out; this one stays signed in.</p>}
      <div><button class='btn btn-primary' disabled={s.pending || !current || !password || !repeat}>Change password</button></div>
    </form>
  )
}

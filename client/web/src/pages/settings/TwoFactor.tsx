import qrcode from 'qrcode-generator'
import { useMemo, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, refreshMe, toast } from '../../lib/session'
import { ErrorBox, Field, useSubmit } from '../../ui/common'
import { RecoveryCodes } from './RecoveryCodes'

interface Enrolment { secret: string, otpauth_url: string }

/**
 * The `otpauth://` address as a QR code image (a data URL made here in the browser: the secret
 * never leaves the page for a QR service).
 */
function qrDataUrl (otpauthUrl: string): string {
  const qr = qrcode(0, 'M')
  qr.addData(otpauthUrl)
  qr.make()
  return qr.createDataURL(5, 4)
}

/** The secret in groups of four, easier to type into an app by hand. */
function grouped (secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ')
}

/**
 * Settings → Security: turn two-factor authentication on (scan the QR code or type the key,
 * confirm with a code, keep the recovery codes) or off (with the password).
 */
export function TwoFactor () {
  const m = me.value!
  const [enrol, setEnrol] = useState<Enrolment | null>(null)
  const [code, setCode] = useState('')
  const [recovery, setRecovery] = useState<string[] | null>(null)
  const [password, setPassword] = useState('')
  const s = useSubmit()
  const qr = useMemo(() => enrol && qrDataUrl(enrol.otpauth_url), [enrol])
  async function begin () {
    setRecovery(null)
    const r = await s.run(() => api.post<Enrolment>('/api/v1/me/totp'))
    if (r) setEnrol(r)
  }
  async function confirm (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<{ recovery_codes: string[] }>('/api/v1/me/totp/confirm', { code }))
    if (r) { setRecovery(r.recovery_codes); setEnrol(null); setCode(''); await refreshMe() }
  }
  async function disable (e: Event) {
    e.preventDefault()
    const ok = await s.run(async () => { await api.del('/api/v1/me/totp', { json: { password } } as any); return true })
    if (ok) { setPassword(''); setRecovery(null); toast('Two-factor authentication is off', 'success'); await refreshMe() }
  }
  return (
    <div class='stack'>
      <h2>Two-factor authentication</h2>
      {recovery && <RecoveryCodes codes={recovery} email={m.user.email} />}
      {m.totp_enabled
        ? (
          <form class='stack narrow-form' onSubmit={disable} aria-label='Turn off two-factor authentication'>
            <p>Two-factor authentication is <strong>on</strong>.</p>
            <Field label='Password (to turn it off)' name='password' type='password' autoComplete='current-password' value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
            <div><button class='btn btn-danger' disabled={s.pending}>Turn off</button></div>
          </form>
          )
        : enrol && qr
          ? (
            <form class='stack narrow-form' onSubmit={confirm} aria-label='Set up two-factor authentication'>
              <p>Scan this QR code with your authenticator app, then enter the six-digit code it shows.</p>
              <img class='totp-qr' src={qr} alt='QR code for your authenticator app' width={200} height={200} />
              <p>Cannot scan it? Type this key into the app instead:</p>
              <p><code class='secret' data-testid='totp-secret' data-secret={enrol.secret}>{grouped(enrol.secret)}</code></p>
              <p class='muted small'><a href={enrol.otpauth_url}>Open in an authenticator app on this device</a></p>
              <Field label='Code' name='code' inputMode='numeric' autoComplete='one-time-code' value={code} onInput={(e) => setCode(e.currentTarget.value)} error={s.fields.code} />
              <div><button class='btn btn-primary' disabled={s.pending || !code.trim()}>Turn on</button></div>
            </form>
            )
          : <div><p>Two-factor authentication is off.</p><button class='btn' onClick={begin} disabled={s.pending}>Set up</button></div>}
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
    </div>
  )
}

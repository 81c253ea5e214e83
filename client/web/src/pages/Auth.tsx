import { useState, useEffect } from 'preact/hooks'
import { api, ApiError, qs } from '../lib/api'
import { loadMe, signedIn, me, toast, refreshMe, resendVerification, logout } from '../lib/session'
import { navigate, query } from '../lib/router'
import { Field, ErrorBox, useSubmit, Spinner, useTitle, useAsync } from '../ui/common'
import { formatDate } from '../lib/text'
import { keepInvitation, forgetInvitation, pendingInvitationPath } from '../lib/pending'
import type { InvitationPreview, Org, User } from '../lib/types'

function AuthCard ({ title, children }: { title: string, children: any }) {
  return (
    <main class='auth' id='main'>
      <div class='auth-card'>
        <div class='brand brand-large' aria-hidden='true'>Atrium</div>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  )
}

function nextPath (): string {
  const next = query.value.get('next')
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/'
}

export function Login ({ unlock, fixedEmail }: { unlock?: string, fixedEmail?: string } = {}) {
  const [email, setEmail] = useState(fixedEmail ?? '')
  const [password, setPassword] = useState('')
  const [totp, setTotp] = useState('')
  const [needTotp, setNeedTotp] = useState(false)
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    await s.run(async () => {
      try {
        const res = await api.post<{ user: User, token: string }>('/api/v1/auth/login', { email, password, ...(needTotp ? { totp } : {}), ...(unlock ? { unlock } : {}) })
        signedIn(res.token)
        await loadMe()
        navigate(nextPath(), { replace: true })
      } catch (e) {
        if (e instanceof ApiError && e.code === 'totp_required') {
          setNeedTotp(true)
          return
        }
        throw e
      }
    })
  }
  const form = (
    <form onSubmit={submit} noValidate>
      <Field label='E-mail' name='email' type='email' autoComplete='username' required readOnly={!!fixedEmail} value={email} onInput={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
      <Field label='Password' name='password' type='password' autoComplete='current-password' required value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
      {needTotp && (
        <Field label='Authentication code' name='totp' inputMode='numeric' autoComplete='one-time-code' hint='The 6-digit code from your authenticator app, or a recovery code.' autoFocus value={totp} onInput={(e) => setTotp(e.currentTarget.value)} error={s.fields.totp} />
      )}
      <ErrorBox error={s.error} />
      <button class='btn btn-primary btn-block' type='submit' disabled={s.pending}>{s.pending ? 'Logging in…' : 'Log in'}</button>
    </form>
  )
  if (unlock) return form
  return (
    <AuthCard title='Log in'>
      {form}
      <p class='auth-links'><a href={'/signup' + qs({ next: query.value.get('next') })}>Create an account</a> · <a href='/forgot-password'>Forgot your password?</a></p>
    </AuthCard>
  )
}

export function Signup () {
  const [form, setForm] = useState({ name: '', email: '', handle: '', password: '' })
  const s = useSubmit()
  const set = (k: keyof typeof form) => (e: any) => setForm({ ...form, [k]: e.currentTarget.value })
  async function submit (e: Event) {
    e.preventDefault()
    await s.run(async () => {
      await api.post('/api/v1/auth/signup', { name: form.name, email: form.email, password: form.password, ...(form.handle ? { handle: form.handle } : {}) })
      const res = await api.post<{ token: string }>('/api/v1/auth/login', { email: form.email, password: form.password })
      signedIn(res.token)
      await loadMe()
      toast(`Welcome! We sent a link to ${form.email}: open it to verify your address.`, 'success', 8000)
      navigate(nextPath(), { replace: true })
    })
  }
  return (
    <AuthCard title='Create your account'>
      <form onSubmit={submit} noValidate>
        <Field label='Name' name='name' autoComplete='name' required value={form.name} onInput={set('name')} error={s.fields.name} />
        <Field label='E-mail' name='email' type='email' autoComplete='email' required value={form.email} onInput={set('email')} error={s.fields.email} />
        <Field label='Handle (for @mentions, optional)' name='handle' autoComplete='off' value={form.handle} onInput={set('handle')} error={s.fields.handle} hint='Derived from your e-mail when left empty.' />
        <Field label='Password' name='password' type='password' autoComplete='new-password' required value={form.password} onInput={set('password')} error={s.fields.password} hint='At least 10 characters; not a common password.' />
        <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
        <button class='btn btn-primary btn-block' type='submit' disabled={s.pending}>{s.pending ? 'Creating…' : 'Create account'}</button>
      </form>
      <p class='auth-links'>Already have an account? <a href={'/login' + qs({ next: query.value.get('next') })}>Log in</a></p>
    </AuthCard>
  )
}

export function ForgotPassword () {
  const [email, setEmail] = useState('')
  const [sent, setSent] = useState(false)
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    await s.run(async () => {
      await api.post('/api/v1/auth/password-reset', { email })
      setSent(true)
    })
  }
  return (
    <AuthCard title='Reset your password'>
      {sent
        ? <p role='status'>If an account exists for <strong>{email}</strong>, we have sent it a link to choose a new password.</p>
        : (
          <form onSubmit={submit} noValidate>
            <Field label='E-mail' name='email' type='email' autoComplete='email' required value={email} onInput={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
            <ErrorBox error={s.error} />
            <button class='btn btn-primary btn-block' type='submit' disabled={s.pending}>Send reset link</button>
          </form>
          )}
      <p class='auth-links'><a href='/login'>Back to log in</a></p>
    </AuthCard>
  )
}

export function ResetPassword () {
  const token = query.value.get('token') || ''
  const [password, setPassword] = useState('')
  const [done, setDone] = useState(false)
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    await s.run(async () => {
      await api.post('/api/v1/auth/password-reset/confirm', { token, password })
      setDone(true)
    })
  }
  return (
    <AuthCard title='Choose a new password'>
      {!token && <ErrorBox error={new Error('This link has no reset token; ask for a new one.')} />}
      {done
        ? <p role='status'>Your password has been changed. <a href='/login'>Log in</a> with it now.</p>
        : (
          <form onSubmit={submit} noValidate>
            <Field label='New password' name='password' type='password' autoComplete='new-password' required value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
            <ErrorBox error={s.fields.password ? null : s.error} />
            <button class='btn btn-primary btn-block' type='submit' disabled={s.pending || !token}>Set password</button>
          </form>
          )}
      <p class='auth-links'><a href='/forgot-password'>Ask for a new link</a></p>
    </AuthCard>
  )
}

/** `/verify-email?token=…` from the e-mail sent at sign-up: verifies the address of the account logged in. */
export function VerifyEmail () {
  useTitle('Verify your e-mail address')
  const token = query.value.get('token') || ''
  const here = `/verify-email?token=${encodeURIComponent(token)}`
  const [state, setState] = useState<{ done?: string, error?: unknown }>({})
  const signedInNow = !!me.value
  useEffect(() => {
    if (!signedInNow || !token) return
    let live = true
    api.post<{ email: string }>('/api/v1/auth/verify-email', { token }).then(
      async (r) => { await refreshMe().catch(() => {}); if (live) setState({ done: r.email }) },
      (error) => { if (live) setState({ error }) }
    )
    return () => { live = false }
  }, [token, signedInNow])
  const invitation = pendingInvitationPath()
  if (!token) {
    return <AuthCard title='Verify your e-mail address'><ErrorBox error={new Error('This link has no verification token; ask for a new one from the banner in the app.')} /></AuthCard>
  }
  if (!signedInNow) {
    return (
      <AuthCard title='Verify your e-mail address'>
        <p>Log in to the account this link was sent for, and its address is verified.</p>
        <a class='btn btn-primary btn-block' href={'/login' + qs({ next: here })}>Log in to verify</a>
      </AuthCard>
    )
  }
  const wrongAccount = state.error instanceof ApiError && state.error.code === 'wrong_account'
  return (
    <AuthCard title='Verify your e-mail address'>
      {state.done
        ? (
          <>
            <p role='status'>Thank you: <strong>{state.done}</strong> is verified.</p>
            {invitation
              ? <a class='btn btn-primary btn-block' href={invitation}>Continue to your invitation</a>
              : <a class='btn btn-primary btn-block' href='/'>Continue to Atrium</a>}
          </>
          )
        : state.error
          ? (
            <>
              <ErrorBox error={state.error} />
              {wrongAccount
                ? <button class='btn btn-block' onClick={() => logout()}>Log out and switch account</button>
                : <button class='btn btn-block' onClick={() => resendVerification()}>Send a new link</button>}
              <p class='auth-links'><a href='/'>Continue to Atrium</a></p>
            </>
            )
          : <Spinner label='Verifying…' />}
    </AuthCard>
  )
}

/** `/unlock?token=…` from the e-mail sent when failed log-ins held the account back. */
export function Unlock () {
  useTitle('Unlock your account')
  const token = query.value.get('token') || ''
  const [state, setState] = useState<{ email?: string, error?: unknown }>({})
  useEffect(() => {
    if (!token) return
    let live = true
    api.post<{ email: string }>('/api/v1/auth/unlock', { token }).then(
      (r) => { if (live) setState({ email: r.email }) },
      (error) => { if (live) setState({ error }) }
    )
    return () => { live = false }
  }, [token])
  return (
    <AuthCard title='Unlock your account'>
      {!token && <ErrorBox error={new Error('This link has no unlock token.')} />}
      {state.error ? <ErrorBox error={state.error} /> : null}
      {state.email
        ? (
          <>
            <p role='status'>Log-ins to <strong>{state.email}</strong> are no longer held back. Log in now.</p>
            <Login unlock={token} fixedEmail={state.email} />
          </>
          )
        : token && !state.error ? <Spinner label='Checking the link…' /> : null}
      <p class='auth-links'><a href='/login'>Back to log in</a> · <a href='/forgot-password'>Forgot your password?</a></p>
    </AuthCard>
  )
}

/**
 * `/invitations?token=…` from the invitation e-mail. The token is kept (localStorage) while
 * the person logs in or signs up and verifies their address, then they accept.
 */
export function Invitations () {
  useTitle('Invitation')
  const token = query.value.get('token') || ''
  const here = `/invitations?token=${encodeURIComponent(token)}`
  const s = useSubmit()
  const user = me.value
  useEffect(() => { if (token) keepInvitation(token) }, [token])
  async function accept () {
    const org = await s.run(() => api.post<Org>('/api/v1/invitations/accept', { token }))
    if (org) {
      forgetInvitation()
      await refreshMe()
      toast(`You joined ${org.name}`, 'success')
      navigate(`/o/${org.id}`, { replace: true })
    }
  }
  // Who invited whom to what, before anything else: the link's token is enough to ask.
  const preview = useAsync((signal) => token ? api.post<InvitationPreview>('/api/v1/invitations/preview', { token }, { signal }) : Promise.resolve(null), [token])
  const failure = s.error instanceof ApiError ? s.error : preview.error instanceof ApiError ? preview.error : null
  useEffect(() => {
    if (failure && (failure.status === 404 || failure.status === 410)) forgetInvitation()
  }, [failure])
  if (!token) {
    return <AuthCard title='Invitation'><ErrorBox error={new Error('This link has no invitation token.')} /></AuthCard>
  }
  if (failure && (failure.status === 404 || failure.status === 410)) {
    return (
      <AuthCard title='This invitation cannot be used'>
        <ErrorBox error={failure} />
        <p>{failure.status === 410 ? 'It has been accepted already, revoked, or it has expired.' : 'The link is not a known invitation: check that it was copied whole.'} Ask whoever invited you for a new one.</p>
        <p class='auth-links'><a href='/'>Go to Atrium</a></p>
      </AuthCard>
    )
  }
  const p = preview.data
  const about = p && (
    <p data-testid='invitation-about'>
      <strong>{p.invited_by}</strong> invited <strong>{p.email}</strong> to join <strong>{p.org_name}</strong> as {/^[aeiou]/.test(p.role) ? 'an' : 'a'} {p.role}. The invitation is valid until {formatDate(p.expires_at)}.
    </p>
  )
  if (!user) {
    return (
      <AuthCard title={p ? `Join ${p.org_name} on Atrium` : 'You are invited'}>
        {about ?? <p>You have been invited to join an organisation on Atrium.</p>}
        <p>Log in, or create an account, with {p ? <strong>{p.email}</strong> : 'the e-mail address the invitation was sent to'}.</p>
        <a class='btn btn-primary btn-block' href={'/login' + qs({ next: here })}>Log in</a>
        <a class='btn btn-block' href={'/signup' + qs({ next: here })}>Create an account</a>
      </AuthCard>
    )
  }
  if (!me.value?.email_verified) {
    return (
      <AuthCard title='Verify your e-mail address first'>
        <p>To accept the invitation, verify <strong>{user.user.email}</strong>: open the link we e-mailed you, then come back here.</p>
        <button class='btn btn-primary btn-block' onClick={() => resendVerification()}>Send a new link</button>
        <button class='btn btn-block' onClick={() => refreshMe().catch(() => {})}>I have verified it</button>
      </AuthCard>
    )
  }
  return (
    <AuthCard title={p ? `Join ${p.org_name}` : 'Join the organisation'}>
      {about}
      <p>You are logged in as <strong>{user.user.email}</strong>.</p>
      <ErrorBox error={s.error} />
      {failure?.code === 'wrong_account'
        ? <button class='btn btn-block' onClick={() => logout()}>Log out and switch account</button>
        : <button class='btn btn-primary btn-block' onClick={accept} disabled={s.pending}>{s.pending ? 'Joining…' : 'Accept the invitation'}</button>}
      <p class='auth-links'><a href='/'>Not now</a></p>
    </AuthCard>
  )
}

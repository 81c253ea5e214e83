import { useState, useEffect } from 'preact/hooks'
import { api, ApiError, qs } from '../lib/api'
import { loadMe, signedIn, me, toast } from '../lib/session'
import { navigate, query } from '../lib/router'
import { Field, ErrorBox, useSubmit, Spinner } from '../ui/common'
import type { User } from '../lib/types'

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

export function Login () {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [totp, setTotp] = useState('')
  const [needTotp, setNeedTotp] = useState(false)
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    await s.run(async () => {
      try {
        const res = await api.post<{ user: User, token: string }>('/api/v1/auth/login', { email, password, ...(needTotp ? { totp } : {}) })
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
  return (
    <AuthCard title='Log in'>
      <form onSubmit={submit} noValidate>
        <Field label='E-mail' name='email' type='email' autoComplete='username' required value={email} onInput={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
        <Field label='Password' name='password' type='password' autoComplete='current-password' required value={password} onInput={(e) => setPassword(e.currentTarget.value)} error={s.fields.password} />
        {needTotp && (
          <Field label='Authentication code' name='totp' inputMode='numeric' autoComplete='one-time-code' hint='The 6-digit code from your authenticator app, or a recovery code.' autoFocus value={totp} onInput={(e) => setTotp(e.currentTarget.value)} error={s.fields.totp} />
        )}
        <ErrorBox error={s.error} />
        <button class='btn btn-primary btn-block' type='submit' disabled={s.pending}>{s.pending ? 'Logging in…' : 'Log in'}</button>
      </form>
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

/** `/invite?token=…` from the invitation e-mail: accept once signed in. */
export function AcceptInvite () {
  const token = query.value.get('token') || ''
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    if (!me.value) {
      navigate('/login' + qs({ next: `/invite?token=${encodeURIComponent(token)}` }), { replace: true })
      return
    }
    api.post<any>('/api/v1/invitations/accept', { token }).then(async (res) => {
      await loadMe()
      toast('Invitation accepted', 'success')
      const org = res?.org_id || res?.member?.org_id || res?.id || me.value?.orgs[0]?.id
      navigate(org ? `/o/${org}` : '/', { replace: true })
    }, setError)
  }, [token])
  return (
    <AuthCard title='Joining the organisation'>
      {error ? <ErrorBox error={error} /> : <Spinner />}
    </AuthCard>
  )
}

import { useEffect, useState } from 'preact/hooks'
import { api, ApiError } from '../lib/api'
import { me, refreshMe, setMeUser, toast, toastError } from '../lib/session'
import type { TokenInfo, NotifyLevel, NotificationSettings, User } from '../lib/types'
import { Avatar, Empty, ErrorBox, Field, Spinner, useAsync, useSubmit } from '../ui/common'
import { formatTime } from '../lib/text'
import { channels, channelLabel, chatAvailable, chatOrg, channelsLoading, loadChat } from '../chat/store'
import { userById } from '../lib/session'

const TABS = [
  { key: 'profile', label: 'Profile' },
  { key: 'security', label: 'Security' },
  { key: 'tokens', label: 'API tokens' },
  { key: 'notifications', label: 'Notifications' }
]

export function Settings ({ tab = 'profile' }: { tab?: string }) {
  return (
    <section class='page'>
      <h1>Settings</h1>
      <nav class='tabs' aria-label='Settings'>
        {TABS.map((t) => <a key={t.key} href={`/settings/${t.key}`} class={'tab' + (t.key === tab ? ' active' : '')} aria-current={t.key === tab ? 'page' : undefined}>{t.label}</a>)}
      </nav>
      {tab === 'profile' && <Profile />}
      {tab === 'security' && <Security />}
      {tab === 'tokens' && <Tokens />}
      {tab === 'notifications' && <NotificationPrefs />}
    </section>
  )
}

function Profile () {
  const m = me.value!
  const [name, setName] = useState(m.user.name)
  const [handle, setHandle] = useState(m.user.handle)
  const s = useSubmit()
  const changed = name.trim() !== m.user.name || handle.trim().replace(/^@/, '').toLowerCase() !== m.user.handle
  async function save (e: Event) {
    e.preventDefault()
    const body: { name?: string, handle?: string } = {}
    if (name.trim() !== m.user.name) body.name = name
    if (handle.trim().replace(/^@/, '').toLowerCase() !== m.user.handle) body.handle = handle
    const user = await s.run(() => api.patch<User>('/api/v1/me', body))
    if (user) {
      setMeUser(user)
      setName(user.name)
      setHandle(user.handle)
      toast('Profile saved', 'success')
    }
  }
  // 409: the handle belongs to someone else; shown on the handle field like a 422.
  const taken = s.error instanceof ApiError && s.error.status === 409 && s.error.code === 'handle_taken'
  const handleError = s.fields.handle ?? (taken ? `@${handle.trim().replace(/^@/, '').toLowerCase()} is taken; choose another handle` : undefined)
  const otherError = Object.keys(s.fields).length || taken ? null : s.error
  return (
    <div class='stack'>
      <div class='row'><Avatar id={m.user.id} name={m.user.name} size={48} /><div><strong data-testid='profile-name'>{m.user.name}</strong><div class='muted'>@{m.user.handle} · {m.user.email}</div></div></div>
      <form class='stack narrow-form' onSubmit={save} aria-label='Profile' noValidate>
        <Field label='Display name' name='profile-name' autoComplete='name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Field label='Handle' name='profile-handle' autoComplete='username' spellcheck={false} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} error={handleError} hint='People mention you as @handle. Letters, digits, “.”, “_” and “-”.' />
        <ErrorBox error={otherError} />
        <div><button class='btn btn-primary' disabled={s.pending || !changed}>Save profile</button></div>
      </form>
      <h2>Organisations</h2>
      {m.orgs.length ? <ul class='list'>{m.orgs.map((o) => <li key={o.id} class='list-row'><a class='grow' href={`/o/${o.id}`}>{o.name}</a><span class='muted'>{o.role}</span></li>)}</ul> : <Empty title='You are in no organisation yet' />}
    </div>
  )
}

function Security () {
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
      {sessions.loading && !sessions.data
        ? <Spinner />
        : (
          <ul class='list'>
            {sessions.data?.items.map((t) => (
              <li key={t.id} class='list-row'>
                <span class='grow'>{t.name}{t.current && <strong> (this session)</strong>}</span>
                <span class='muted small'>last seen {formatTime(t.last_seen_at)}</span>
                {!t.current && <button class='btn btn-small btn-danger' onClick={() => revoke(t.id)}>Sign out</button>}
              </li>
            ))}
          </ul>
          )}
    </div>
  )
}

function Tokens () {
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
    if (!confirm(`Revoke the token “${t.name}”? Programs using it stop working at once.`)) return
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
      {list.loading && !list.data
        ? <Spinner />
        : !list.data?.items.length
            ? <Empty title='No API tokens' />
            : (
              <ul class='list'>
                {list.data.items.map((t) => (
                  <li key={t.id} class='list-row'>
                    <span class='grow'>{t.name}</span>
                    <span class='muted small'>created {formatTime(t.created_at)}{t.expires_at ? ` · expires ${formatTime(t.expires_at)}` : ''}</span>
                    <button class='btn btn-small btn-danger' onClick={() => revoke(t)}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </div>
  )
}

function NotificationPrefs () {
  return (
    <div class='stack'>
      <DigestSetting />
      <ChannelLevels />
    </div>
  )
}

/** The account-wide e-mail digest switch (`/api/v1/me/notification-settings`). */
function DigestSetting () {
  const settings = useAsync((signal) => api.get<NotificationSettings>('/api/v1/me/notification-settings', { signal }), [])
  const [saving, setSaving] = useState(false)
  async function set (on: boolean) {
    setSaving(true)
    const before = settings.data
    settings.setData(() => ({ email_digest: on }))
    try {
      const saved = await api.put<NotificationSettings>('/api/v1/me/notification-settings', { email_digest: on })
      settings.setData(() => saved)
      toast(saved.email_digest ? 'You will get an e-mail digest of what you miss' : 'E-mail digest turned off', 'success')
    } catch (e) {
      settings.setData(() => before ?? { email_digest: !on })
      toastError(e)
    } finally { setSaving(false) }
  }
  return (
    <section class='stack' aria-labelledby='digest-heading'>
      <h2 id='digest-heading'>E-mail</h2>
      <ErrorBox error={settings.error} retry={settings.reload} />
      {settings.loading && !settings.data
        ? <Spinner />
        : settings.data && (
          <label class='check'>
            <input type='checkbox' name='email-digest' checked={settings.data.email_digest} disabled={saving} onChange={(e) => set(e.currentTarget.checked)} />
            {' '}E-mail me a digest of what I miss while offline
          </label>
          )}
      <p class='muted small'>This applies to your whole account, in every organisation.</p>
    </section>
  )
}

function ChannelLevels () {
  const [saving, setSaving] = useState<string | null>(null)
  const orgs = me.value?.orgs ?? []
  // Settings has no org in its address: show the channels of the org last used.
  useEffect(() => {
    if (chatOrg.value || !orgs.length) return
    let last: string | null = null
    try { last = localStorage.getItem('atrium.org') } catch {}
    loadChat((orgs.find((o) => o.id === last) ?? orgs[0]).id)
  }, [])
  if (!chatAvailable.value) return <Empty title='Per-channel notifications arrive with chat' />
  const list = channels.value
  const orgName = orgs.find((o) => o.id === chatOrg.value)?.name
  async function set (id: string, level: NotifyLevel) {
    setSaving(id)
    try {
      await api.put(`/api/v1/channels/${id}/notify`, { level })
      channels.value = channels.value.map((c) => c.id === id ? { ...c, notify: level } : c)
    } catch (e) { toastError(e) } finally { setSaving(null) }
  }
  return (
    <section class='stack' aria-labelledby='levels-heading'>
      <h2 id='levels-heading'>Channels{orgName ? ` in ${orgName}` : ''}</h2>
      <p>Choose, per channel, what raises a notification. Mentions and direct messages always count as unread.</p>
      {channelsLoading.value && !list.length
        ? <Spinner />
        : !list.length
        ? <Empty title='No channels in this organisation yet' />
        : (
          <ul class='list'>
            {list.map((c) => (
              <li key={c.id} class='list-row'>
                <label class='grow' for={`notify-${c.id}`}>{c.kind === 'dm' ? '' : '#'}{channelLabel(c, me.value?.user.id, userById.value)}</label>
                <select id={`notify-${c.id}`} value={c.notify} disabled={saving === c.id} onChange={(e) => set(c.id, e.currentTarget.value as NotifyLevel)}>
                  <option value='all'>Every message</option>
                  <option value='mentions'>Mentions only</option>
                  <option value='none'>Nothing</option>
                </select>
              </li>
            ))}
          </ul>
          )}
    </section>
  )
}

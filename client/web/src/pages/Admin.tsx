import { useState } from 'preact/hooks'
import { api } from '../lib/api'
import { me, members, loadOrg, orgCan, toast, toastError } from '../lib/session'
import type { ChatSettings, Invitation, OrgMember, OrgRole, ProjectMember, ProjectRole } from '../lib/types'
import { Avatar, Empty, ErrorBox, Field, PresenceDot, Spinner, useAsync, useSubmit, useTitle } from '../ui/common'
import { formatTime } from '../lib/text'
import { chatAvailable, presence } from '../chat/store'

const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member', 'viewer', 'guest']
const PROJECT_ROLES: ProjectRole[] = ['manager', 'editor', 'commenter', 'viewer']

export function OrgMembers ({ org }: { org: string }) {
  const list = useAsync((signal) => api.get<{ items: OrgMember[] }>(`/api/v1/orgs/${org}/members`, { signal }), [org])
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<OrgRole>('member')
  const s = useSubmit()
  const admin = orgCan(org)?.manage ?? false
  const pending = useAsync((signal) => admin ? api.get<{ items: Invitation[] }>(`/api/v1/orgs/${org}/invitations`, { signal }) : Promise.resolve({ items: [] as Invitation[] }), [org, admin])
  useTitle('Members')
  async function invite (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<{ invitation: Invitation }>(`/api/v1/orgs/${org}/members`, { email, role }))
    if (r) {
      toast(`Invitation sent to ${r.invitation.email}`, 'success')
      setEmail('')
      pending.reload()
    }
  }
  async function revoke (i: Invitation) {
    if (!confirm(`Revoke the invitation of ${i.email}?`)) return
    try {
      await api.del(`/api/v1/orgs/${org}/invitations/${i.id}`)
      toast(`The invitation of ${i.email} was revoked`, 'success')
    } catch (e) { toastError(e) }
    pending.reload()
  }
  async function change (m: OrgMember, r: OrgRole) {
    try { await api.patch(`/api/v1/orgs/${org}/members/${m.user.id}`, { role: r }); list.reload() } catch (e) { toastError(e); list.reload() }
  }
  async function remove (m: OrgMember) {
    if (!confirm(`Remove ${m.user.name} from the organisation?`)) return
    try { await api.del(`/api/v1/orgs/${org}/members/${m.user.id}`); list.reload() } catch (e) { toastError(e) }
  }
  return (
    <section class='page'>
      <h1>Members</h1>
      {admin && (
        <form class='row wrap' onSubmit={invite}>
          <Field label='E-mail' name='invite-email' type='email' value={email} onInput={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
          <div class='field'>
            <label for='invite-role'>Role</label>
            <select id='invite-role' value={role} onChange={(e) => setRole(e.currentTarget.value as OrgRole)}>{ORG_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
          </div>
          <button class='btn btn-primary' disabled={s.pending}>Invite</button>
        </form>
      )}
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {admin && (
        <section aria-labelledby='pending-heading' class='pending-invitations'>
          <h2 id='pending-heading'>Pending invitations</h2>
          <ErrorBox error={pending.error} retry={pending.reload} />
          {pending.loading && !pending.data
            ? <Spinner />
            : !pending.data?.items.length
                ? <p class='muted'>No pending invitations. People join by accepting the invitation e-mailed to them.</p>
                : (
                  <ul class='list' data-testid='pending-invitations'>
                    {pending.data.items.map((i) => (
                      <li key={i.id} class='list-row'>
                        <span class='grow'>{i.email} <span class='muted'>· {i.role} · expires {formatTime(i.expires_at)}</span></span>
                        <button class='btn btn-small btn-danger' onClick={() => revoke(i)} aria-label={`Revoke the invitation of ${i.email}`}>Revoke</button>
                      </li>
                    ))}
                  </ul>
                  )}
        </section>
      )}
      <h2>Current members</h2>
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data
        ? <Spinner />
        : !list.data?.items.length
            ? <Empty title='No members' />
            : (
              <ul class='list' data-testid='members'>
                {list.data.items.map((m) => (
                  <li key={m.user.id} class='list-row'>
                    <Avatar id={m.user.id} name={m.user.name} />
                    <span class='grow'>{m.user.name} <span class='muted'>@{m.user.handle}</span></span>
                    <PresenceDot status={presence.value[m.user.id]} name={m.user.name} />
                    {admin && m.user.id !== me.value?.user.id
                      ? (
                        <>
                          <label class='sr-only' for={`role-${m.user.id}`}>Role of {m.user.name}</label>
                          <select id={`role-${m.user.id}`} value={m.role} onChange={(e) => change(m, e.currentTarget.value as OrgRole)}>{ORG_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
                          <button class='btn btn-small btn-danger' onClick={() => remove(m)}>Remove</button>
                        </>
                        )
                      : <span class='muted'>{m.role}</span>}
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

/** Organisation settings: chat (who may mention everyone, the large-audience warning). */
export function OrgSettings ({ org }: { org: string }) {
  useTitle('Organisation settings')
  return (
    <section class='page'>
      <h1>Organisation settings</h1>
      {chatAvailable.value ? <ChatSettingsForm org={org} /> : <Empty title='Chat is not available on this server yet' />}
    </section>
  )
}

function ChatSettingsForm ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const current = useAsync((signal) => api.get<ChatSettings>(`/api/v1/orgs/${org}/chat-settings`, { signal }), [org])
  const [roles, setRoles] = useState<OrgRole[] | null>(null)
  const [warn, setWarn] = useState<string | null>(null)
  const s = useSubmit()
  const data = current.data
  const shownRoles = roles ?? data?.mention_all_roles ?? []
  const shownWarn = warn ?? (data ? String(data.mention_all_warn_above) : '')
  const dirty = !!data && (roles !== null || warn !== null)
  function toggle (r: OrgRole, on: boolean) {
    const next = on ? [...shownRoles.filter((x) => x !== r), r] : shownRoles.filter((x) => x !== r)
    setRoles(ORG_ROLES.filter((x) => next.includes(x)))
  }
  async function save (e: Event) {
    e.preventDefault()
    const n = Number(shownWarn)
    const saved = await s.run(() => api.put<ChatSettings>(`/api/v1/orgs/${org}/chat-settings`, {
      mention_all_roles: shownRoles,
      mention_all_warn_above: shownWarn.trim() === '' || !Number.isFinite(n) ? -1 : Math.trunc(n)
    }))
    if (saved) {
      current.setData(() => saved)
      setRoles(null)
      setWarn(null)
      toast('Chat settings saved', 'success')
    }
  }
  if (current.loading && !data) return <Spinner />
  if (current.error) return <ErrorBox error={current.error} retry={current.reload} />
  return (
    <form class='stack narrow-form' onSubmit={save} aria-labelledby='chat-settings-heading' data-testid='chat-settings' noValidate>
      <h2 id='chat-settings-heading'>Chat</h2>
      {!admin && <p class='banner banner-info' role='note'>Only owners and admins can change these settings.</p>}
      <fieldset class='settings-group' disabled={!admin}>
        <legend>Who may mention @channel, @all and @here</legend>
        {ORG_ROLES.map((r) => (
          <label key={r} class='check'>
            <input type='checkbox' name={`mention-all-${r}`} checked={shownRoles.includes(r)} onChange={(e) => toggle(r, e.currentTarget.checked)} /> {r}
          </label>
        ))}
        {s.fields.mention_all_roles && <small class='field-error' role='alert'>{s.fields.mention_all_roles}</small>}
      </fieldset>
      <Field
        label='Warn when @channel would notify more than this many people' name='mention-warn' type='number' min={1} max={1000000} step={1}
        value={shownWarn} disabled={!admin} onInput={(e) => setWarn(e.currentTarget.value)} error={s.fields.mention_all_warn_above}
        hint='The person posting sees a warning; the message is still sent.'
      />
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {admin && <div><button class='btn btn-primary' disabled={s.pending || !dirty}>Save chat settings</button></div>}
    </form>
  )
}

export function ProjectSettings ({ org, project }: { org: string, project: string }) {
  const list = useAsync((signal) => api.get<{ items: ProjectMember[] }>(`/api/v1/projects/${project}/members`, { signal }), [project])
  const [userId, setUserId] = useState('')
  const [role, setRole] = useState<ProjectRole>('editor')
  const s = useSubmit()
  const candidates = members.value.filter((m) => !list.data?.items.some((x) => x.user.id === m.user.id))
  async function add (e: Event) {
    e.preventDefault()
    if (!userId) return
    const ok = await s.run(async () => { await api.post(`/api/v1/projects/${project}/members`, { user_id: userId, role }); return true })
    if (ok) { setUserId(''); list.reload(); loadOrg(org, true) }
  }
  async function change (m: ProjectMember, r: ProjectRole) {
    try { await api.post(`/api/v1/projects/${project}/members`, { user_id: m.user.id, role: r }); list.reload() } catch (e) { toastError(e) }
  }
  async function remove (m: ProjectMember) {
    try { await api.del(`/api/v1/projects/${project}/members/${m.user.id}`); list.reload() } catch (e) { toastError(e) }
  }
  return (
    <section class='page'>
      <h1>Project members</h1>
      <form class='row wrap' onSubmit={add}>
        <div class='field'>
          <label for='pm-user'>Person</label>
          <select id='pm-user' value={userId} onChange={(e) => setUserId(e.currentTarget.value)}>
            <option value=''>Choose someone…</option>
            {candidates.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name} (@{m.user.handle})</option>)}
          </select>
        </div>
        <div class='field'>
          <label for='pm-role'>Role</label>
          <select id='pm-role' value={role} onChange={(e) => setRole(e.currentTarget.value as ProjectRole)}>{PROJECT_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        </div>
        <button class='btn btn-primary' disabled={s.pending || !userId}>Add</button>
      </form>
      <ErrorBox error={s.error} />
      {list.loading && !list.data
        ? <Spinner />
        : !list.data?.items.length
            ? <Empty title='No explicit members'>Open projects are visible to everyone in the organisation with the default role.</Empty>
            : (
              <ul class='list'>
                {list.data.items.map((m) => (
                  <li key={m.user.id} class='list-row'>
                    <Avatar id={m.user.id} name={m.user.name} />
                    <span class='grow'>{m.user.name} <span class='muted'>@{m.user.handle}</span></span>
                    <label class='sr-only' for={`prole-${m.user.id}`}>Role of {m.user.name}</label>
                    <select id={`prole-${m.user.id}`} value={m.role} onChange={(e) => change(m, e.currentTarget.value as ProjectRole)}>{PROJECT_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
                    <button class='btn btn-small btn-danger' onClick={() => remove(m)}>Remove</button>
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

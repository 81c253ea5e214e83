import { useState } from 'preact/hooks'
import { api } from '../lib/api'
import { me, members, loadOrg, isOrgAdmin, toast, toastError } from '../lib/session'
import type { OrgMember, OrgRole, ProjectMember, ProjectRole } from '../lib/types'
import { Avatar, Empty, ErrorBox, Field, Spinner, useAsync, useSubmit } from '../ui/common'

const ORG_ROLES: OrgRole[] = ['owner', 'admin', 'member', 'accountant', 'viewer', 'guest']
const PROJECT_ROLES: ProjectRole[] = ['manager', 'editor', 'commenter', 'viewer']

export function OrgMembers ({ org }: { org: string }) {
  const list = useAsync((signal) => api.get<{ items: OrgMember[] }>(`/api/v1/orgs/${org}/members`, { signal }), [org])
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<OrgRole>('member')
  const s = useSubmit()
  const admin = isOrgAdmin(org)
  async function invite (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<any>(`/api/v1/orgs/${org}/members`, { email, role }))
    if (r) {
      toast(r.status === 'invited' ? `Invitation sent to ${email}` : `${email} added`, 'success')
      setEmail('')
      list.reload()
      loadOrg(org, true)
    }
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
      <ErrorBox error={list.error} retry={list.reload} />
      {list.loading && !list.data
        ? <Spinner />
        : !list.data?.items.length
            ? <Empty title='No members' />
            : (
              <ul class='list'>
                {list.data.items.map((m) => (
                  <li key={m.user.id} class='list-row'>
                    <Avatar id={m.user.id} name={m.user.name} />
                    <span class='grow'>{m.user.name} <span class='muted'>@{m.user.handle}</span></span>
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

import { useState } from 'preact/hooks'
import { lazy, Suspense } from 'preact/compat'
import { api } from '../../lib/api'
import { members, loadOrg, toast, toastError } from '../../lib/session'
import type { ProjectMember, ProjectRole } from '../../lib/types'
import { Avatar, Empty, ErrorBox, Spinner, useAsync, useSubmit, confirmDialog } from '../../ui/common'
import { PROJECT_ROLES } from './roleNames'

// The billing section (client and hourly rates) with the money rules: a chunk of its own.
const ProjectBilling = lazy(() => import('./ProjectBilling'))

/** A project's explicit members and their project roles, and its billing. */
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
  /** Changes `m`'s project role once confirmed (the select goes back when cancelled). */
  async function change (m: ProjectMember, r: ProjectRole, select: HTMLSelectElement) {
    const ok = await confirmDialog({ title: `Make ${m.user.name} ${r === 'editor' ? 'an' : 'a'} ${r} of this project?`, message: `Their role here changes from ${m.role} to ${r}.`, action: `Make ${r}` })
    if (!ok) { select.value = m.role; return }
    try { await api.post(`/api/v1/projects/${project}/members`, { user_id: m.user.id, role: r }); toast(`${m.user.name} is now ${r} here`, 'success', 3000); list.reload() } catch (e) { toastError(e) }
  }
  async function remove (m: ProjectMember) {
    if (!await confirmDialog({ title: `Remove ${m.user.name} from this project?`, action: 'Remove', danger: true })) return
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
      {!list.data
        ? (list.error ? <ErrorBox error={list.error} retry={list.reload} /> : <Spinner />)
        : !list.data?.items.length
            ? <Empty title='No explicit members'>Open projects are visible to everyone in the organisation with the default role.</Empty>
            : (
              <ul class='list'>
                {list.data.items.map((m) => (
                  <li key={m.user.id} class='list-row'>
                    <Avatar id={m.user.id} name={m.user.name} />
                    <span class='grow'>{m.user.name} <span class='muted'>@{m.user.handle}</span></span>
                    <label class='sr-only' for={`prole-${m.user.id}`}>Role of {m.user.name}</label>
                    <select id={`prole-${m.user.id}`} value={m.role} onChange={(e) => change(m, e.currentTarget.value as ProjectRole, e.currentTarget)}>{PROJECT_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
                    <button class='btn btn-small btn-danger' onClick={() => remove(m)}>Remove</button>
                  </li>
                ))}
              </ul>
              )}
      <Suspense fallback={<Spinner />}><ProjectBilling org={org} project={project} /></Suspense>
    </section>
  )
}

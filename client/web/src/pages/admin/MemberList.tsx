import { useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { me, toast, toastError } from '../../lib/session'
import type { BusinessRole, OrgMember, OrgRole } from '../../lib/types'
import { Avatar, Empty, ErrorBox, PresenceDot, Spinner, useAsync, confirmDialog } from '../../ui/common'
import { presence } from '../../chat/store'
import { MemberRolesDialog } from './MemberRolesDialog'
import { RoleChips } from './RoleChips'
import { ORG_ROLES } from './roleNames'

/** The org's members with their base and business roles and their manager (who approves their
 * timesheets); admins change all three and remove people. */
export function MemberList ({ org, admin, businessRoles }: { org: string, admin: boolean, businessRoles: BusinessRole[] }) {
  const list = useAsync((signal) => api.get<{ items: OrgMember[] }>(`/api/v1/orgs/${org}/members`, { signal }), [org])
  const [editing, setEditing] = useState<OrgMember | null>(null)
  /** Changes `m`'s base role once confirmed (the select goes back when cancelled). */
  async function change (m: OrgMember, r: OrgRole, select: HTMLSelectElement) {
    const ok = await confirmDialog({ title: `Make ${m.user.name} ${r === 'owner' || r === 'admin' ? 'an' : 'a'} ${r}?`, message: `Their role in the organisation changes from ${m.role} to ${r}, with what that role may do, from their next request.`, action: `Make ${r}` })
    if (!ok) { select.value = m.role; return }
    try {
      await api.patch(`/api/v1/orgs/${org}/members/${m.user.id}`, { role: r })
      toast(`${m.user.name} is now ${r}`, 'success', 3000)
      list.reload()
    } catch (e) { toastError(e); list.reload() }
  }
  /** Sets who manages `m` (approves their timesheets); 422 when it would make a loop. */
  async function setManager (m: OrgMember, manager: string) {
    const id = manager || null
    list.setData((d) => ({ items: (d?.items ?? []).map((x) => x.user.id === m.user.id ? { ...x, manager: id } : x) }))
    try {
      const saved = await api.patch<OrgMember>(`/api/v1/orgs/${org}/members/${m.user.id}`, { manager: id })
      list.setData((d) => ({ items: (d?.items ?? []).map((x) => x.user.id === m.user.id ? { ...x, ...saved } : x) }))
      toast(id ? `${nameOf(id)} now manages ${m.user.name}` : `${m.user.name} has no manager now`, 'success', 3000)
    } catch (e) {
      toastError(e instanceof ApiError && e.fields.manager ? new ApiError(e.status, e.code, `${m.user.name}’s manager: ${e.fields.manager}`) : e)
      list.reload()
    }
  }
  function nameOf (id: string | null | undefined): string {
    return list.data?.items.find((x) => x.user.id === id)?.user.name ?? 'Someone'
  }
  async function remove (m: OrgMember) {
    if (!await confirmDialog({ title: `Remove ${m.user.name}?`, message: 'They lose access to the organisation and its projects at once.', action: 'Remove', danger: true })) return
    try { await api.del(`/api/v1/orgs/${org}/members/${m.user.id}`); list.reload() } catch (e) { toastError(e) }
  }
  function saved (m: OrgMember) {
    setEditing(null)
    list.setData((d) => ({ items: (d?.items ?? []).map((x) => x.user.id === m.user.id ? { ...x, ...m } : x) }))
  }
  if (list.error) return <ErrorBox error={list.error} retry={list.reload} />
  if (list.loading && !list.data) return <Spinner />
  if (!list.data?.items.length) return <Empty title='No members' />
  return (
    <>
      <ul class='list' data-testid='members'>
        {list.data.items.map((m) => (
          <li key={m.user.id} class='list-row' data-testid='member'>
            <Avatar id={m.user.id} name={m.user.name} />
            <div class='grow'>
              {m.user.name} <span class='muted'>@{m.user.handle}</span>
              <RoleChips roles={m.roles} />
            </div>
            <PresenceDot status={presence.value[m.user.id]} name={m.user.name} />
            {admin && m.user.id !== me.value?.user.id
              ? (
                <>
                  <label class='sr-only' for={`role-${m.user.id}`}>Role of {m.user.name}</label>
                  <select id={`role-${m.user.id}`} value={m.role} onChange={(e) => change(m, e.currentTarget.value as OrgRole, e.currentTarget)}>{ORG_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
                </>
                )
              : <span class='muted'>{m.role}</span>}
            {admin
              ? (
                <>
                  <label class='sr-only' for={`manager-${m.user.id}`}>Manager of {m.user.name}</label>
                  <select id={`manager-${m.user.id}`} class='manager-select' value={m.manager ?? ''} title='Approves their timesheets' onChange={(e) => setManager(m, e.currentTarget.value)}>
                    <option value=''>No manager</option>
                    {list.data!.items.filter((x) => x.user.id !== m.user.id).map((x) => <option key={x.user.id} value={x.user.id}>Manager: {x.user.name}</option>)}
                  </select>
                </>
                )
              : m.manager && <span class='muted small' data-testid='manager'>Manager: {nameOf(m.manager)}</span>}
            {admin && <button class='btn btn-small' onClick={() => setEditing(m)} aria-label={`Business roles of ${m.user.name}`}>Business roles</button>}
            {admin && m.user.id !== me.value?.user.id && <button class='btn btn-small btn-danger' onClick={() => remove(m)}>Remove</button>}
          </li>
        ))}
      </ul>
      {editing && <MemberRolesDialog org={org} member={editing} businessRoles={businessRoles} onClose={() => setEditing(null)} onSaved={saved} />}
    </>
  )
}

import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { toast } from '../../lib/session'
import type { BusinessRole, OrgMember } from '../../lib/types'
import { ErrorBox, Modal, useSubmit } from '../../ui/common'
import { BusinessRoleChecks } from './BusinessRoleChecks'

/** Choose the business roles a member holds besides their base role (`PATCH … {roles}`). */
export function MemberRolesDialog ({ org, member, businessRoles, onClose, onSaved }: {
  org: string
  member: OrgMember
  businessRoles: BusinessRole[]
  onClose: () => void
  onSaved: (m: OrgMember) => void
}) {
  const [roles, setRoles] = useState<string[]>(member.roles ?? [])
  const s = useSubmit()
  const before = member.roles ?? []
  const dirty = roles.length !== before.length || roles.some((r) => !before.includes(r))
  async function save (e: Event) {
    e.preventDefault()
    const saved = await s.run(() => api.patch<OrgMember>(`/api/v1/orgs/${org}/members/${member.user.id}`, { roles }))
    if (saved) {
      toast(`Business roles of ${member.user.name} saved`, 'success')
      onSaved(saved)
    }
  }
  return (
    <Modal title={`Business roles of ${member.user.name}`} onClose={onClose}>
      <form class='stack' onSubmit={save}>
        <BusinessRoleChecks name='member-roles' legend={`Held by ${member.user.name} besides the role ${member.role}`} roles={businessRoles} chosen={roles} onChange={setRoles} error={s.fields.roles} />
        <ErrorBox error={s.fields.roles ? null : s.error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={s.pending || !dirty}>Save business roles</button>
        </div>
      </form>
    </Modal>
  )
}

import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { toast } from '../../lib/session'
import type { BusinessRole, Invitation, OrgRole } from '../../lib/types'
import { ErrorBox, Field, useSubmit } from '../../ui/common'
import { BusinessRoleChecks } from './BusinessRoleChecks'
import { ORG_ROLES } from './roleNames'

/** Invite someone by e-mail with a base role and, besides it, business roles. */
export function InviteForm ({ org, businessRoles, onInvited }: { org: string, businessRoles: BusinessRole[], onInvited: () => void }) {
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<OrgRole>('member')
  const [roles, setRoles] = useState<string[]>([])
  const s = useSubmit()
  async function invite (e: Event) {
    e.preventDefault()
    const r = await s.run(() => api.post<{ invitation: Invitation }>(`/api/v1/orgs/${org}/members`, { email, role, roles }))
    if (r) {
      toast(`Invitation sent to ${r.invitation.email}`, 'success')
      setEmail('')
      setRoles([])
      onInvited()
    }
  }
  // The server reports an unknown business role under `role` (the field that may also name one).
  const rolesError = s.fields.roles ?? s.fields.role
  return (
    <form class='stack invite-form' onSubmit={invite} aria-label='Invite someone' data-testid='invite-form'>
      <div class='row wrap'>
        <Field label='E-mail' name='invite-email' type='email' value={email} onInput={(e) => setEmail(e.currentTarget.value)} error={s.fields.email} />
        <div class='field'>
          <label for='invite-role'>Role</label>
          <select id='invite-role' value={role} onChange={(e) => setRole(e.currentTarget.value as OrgRole)}>{ORG_ROLES.map((r) => <option key={r}>{r}</option>)}</select>
        </div>
      </div>
      <BusinessRoleChecks name='invite-roles' legend='Business roles (besides the role)' roles={businessRoles} chosen={roles} onChange={setRoles} error={rolesError} />
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      <div><button class='btn btn-primary' disabled={s.pending}>Invite</button></div>
    </form>
  )
}

import { orgCan } from '../../lib/session'
import { ErrorBox, Spinner, useTitle } from '../../ui/common'
import { BusinessRoleList } from './BusinessRoleList'
import { NewRoleForm } from './NewRoleForm'
import { PermissionTable } from './PermissionTable'
import { useBusinessRoles } from './useBusinessRoles'

/** Business roles and the permission table of an organisation. */
export function RolesPage ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const roles = useBusinessRoles(org)
  useTitle('Roles and permissions')
  return (
    <section class='page'>
      <h1>Roles and permissions</h1>
      <section aria-labelledby='roles-heading'>
        <h2 id='roles-heading'>Business roles</h2>
        <p class='muted'>People hold business roles besides their role in the organisation; the permission table says what each may do.</p>
        <ErrorBox error={roles.error} retry={roles.reload} />
        {roles.loading && !roles.data ? <Spinner /> : roles.data && <BusinessRoleList roles={roles.data.items} />}
        {admin && <NewRoleForm org={org} onCreated={roles.reload} />}
      </section>
      <PermissionTable org={org} businessRoles={(roles.data?.items ?? []).map((r) => r.name)} />
    </section>
  )
}

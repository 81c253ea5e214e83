import { useState } from 'preact/hooks'
import { orgCan } from '../../lib/session'
import { ErrorBox, useTitle } from '../../ui/common'
import { InviteForm } from './InviteForm'
import { MemberList } from './MemberList'
import { PendingInvitations } from './PendingInvitations'
import { useBusinessRoles } from './useBusinessRoles'

/** The members screen: invite (admins), pending invitations (admins), current members. */
export function OrgMembers ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const roles = useBusinessRoles(org)
  // Bumped after an invitation is sent, so the pending list shows it.
  const [invited, setInvited] = useState(0)
  const businessRoles = roles.data?.items ?? []
  useTitle('Members')
  return (
    <section class='page'>
      <h1>Members</h1>
      <ErrorBox error={roles.error} retry={roles.reload} />
      {admin && <InviteForm org={org} businessRoles={businessRoles} onInvited={() => setInvited((n) => n + 1)} />}
      {admin && <PendingInvitations org={org} version={invited} />}
      <h2>Current members</h2>
      <MemberList org={org} admin={admin} businessRoles={businessRoles} />
    </section>
  )
}

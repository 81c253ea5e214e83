import { api } from '../../lib/api'
import { toast, toastError } from '../../lib/session'
import type { Invitation } from '../../lib/types'
import { formatDate } from '../../lib/text'
import { ErrorBox, Spinner, useAsync, confirmDialog } from '../../ui/common'

/** Invitations not accepted yet, each with a way to send it again or revoke it; `version`
 * changes after an invite. */
export function PendingInvitations ({ org, version }: { org: string, version: number }) {
  const pending = useAsync((signal) => api.get<{ items: Invitation[] }>(`/api/v1/orgs/${org}/invitations`, { signal }), [org, version])
  async function revoke (i: Invitation) {
    if (!await confirmDialog({ title: 'Revoke this invitation?', message: `${i.email} can no longer join with the link they were sent.`, action: 'Revoke invitation', danger: true })) return
    try {
      await api.del(`/api/v1/orgs/${org}/invitations/${i.id}`)
      toast(`The invitation of ${i.email} was revoked`, 'success')
    } catch (e) { toastError(e) }
    pending.reload()
  }
  /** A new link by e-mail: inviting the address again replaces its pending invitation (the old
   * link stops working), with the same roles and manager. */
  async function resend (i: Invitation) {
    try {
      await api.post(`/api/v1/orgs/${org}/members`, { email: i.email, role: i.role, roles: i.roles ?? [], ...(i.manager ? { manager: i.manager } : {}) })
      toast(`The invitation was sent again to ${i.email}`, 'success')
    } catch (e) { toastError(e) }
    pending.reload()
  }
  return (
    <section aria-labelledby='pending-heading' class='pending-invitations'>
      <h2 id='pending-heading'>Pending invitations</h2>
      <ErrorBox error={pending.error} retry={pending.reload} />
      {!pending.data
        ? (pending.error ? null : <Spinner />)
        : !pending.data?.items.length
            ? <p class='muted'>No pending invitations. People join by accepting the invitation e-mailed to them.</p>
            : (
              <ul class='list' data-testid='pending-invitations'>
                {pending.data.items.map((i) => (
                  <li key={i.id} class='list-row'>
                    <span class='grow'>{i.email} <span class='muted'>· {[i.role, ...(i.roles ?? [])].join(', ')} · expires {formatDate(i.expires_at)}</span></span>
                    <button class='btn btn-small' onClick={() => resend(i)} aria-label={`Send the invitation of ${i.email} again`}>Resend</button>
                    <button class='btn btn-small btn-danger' onClick={() => revoke(i)} aria-label={`Revoke the invitation of ${i.email}`}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

import { api } from '../../lib/api'
import { toast, toastError } from '../../lib/session'
import type { Invitation } from '../../lib/types'
import { formatDate } from '../../lib/text'
import { ErrorBox, Spinner, useAsync, confirmDialog } from '../../ui/common'

/** Invitations not accepted yet, with a way to revoke each; `version` changes after an invite. */
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
                    <button class='btn btn-small btn-danger' onClick={() => revoke(i)} aria-label={`Revoke the invitation of ${i.email}`}>Revoke</button>
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

// Organisation settings: whether documents may be published at public read-only links (off by
// default; owners and admins decide).
import { api } from '../../../lib/api'
import { orgCan, toast, toastError } from '../../../lib/session'
import { ErrorBox, Spinner, useAsync } from '../../../ui/common'

interface DocSharing { public_links: boolean }

export function DocSharingSetting ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const current = useAsync((signal) => api.get<DocSharing>(`/api/v1/orgs/${org}/doc-sharing`, { signal }), [org])
  async function set (on: boolean) {
    try {
      const saved = await api.put<DocSharing>(`/api/v1/orgs/${org}/doc-sharing`, { public_links: on })
      current.setData(() => saved)
      toast(on ? 'Public document links turned on' : 'Public document links turned off', 'success')
    } catch (e) { toastError(e) }
  }
  if (current.loading && !current.data) return <Spinner />
  if (current.error) return <ErrorBox error={current.error} retry={current.reload} />
  return (
    <section class='stack narrow-form' aria-labelledby='doc-sharing-heading' data-testid='doc-sharing'>
      <h2 id='doc-sharing-heading'>Documents</h2>
      {!admin && <p class='banner banner-info' role='note'>Only owners and admins can change this setting.</p>}
      <label class='check'>
        <input type='checkbox' name='public-links' checked={current.data?.public_links ?? false} disabled={!admin} onChange={(e) => set(e.currentTarget.checked)} />
        {' '}Allow public read-only links to documents
      </label>
      <small class='muted'>People who manage a document can then publish it at a link anyone can read without an account. Turning this off closes every such link.</small>
    </section>
  )
}

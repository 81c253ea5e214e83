import { useState } from 'preact/hooks'
import { me } from '../../lib/session'
import { DeleteOrgDialog } from './DeleteOrgDialog'
import { OrgExportPanel, useOrgExports } from './OrgExport'

/** Organisation settings → Danger zone (owners only): export everything the organisation
 * holds as one ZIP, and delete the organisation. */
export function DangerZone ({ org }: { org: string }) {
  const exports = useOrgExports(org)
  const [deleting, setDeleting] = useState(false)
  const name = me.value?.orgs.find((o) => o.id === org)?.name ?? ''
  return (
    <section class='stack' aria-labelledby='danger-zone'>
      <h2 id='danger-zone'>Danger zone</h2>
      <h3>Export everything</h3>
      <p class='hint'>One ZIP of the organisation: members and roles, documents (Markdown and their full editing state), chat, boards, records (CSV), files and the audit log. Each export is kept for seven days.</p>
      <OrgExportPanel org={org} exports={exports} />
      <h3>Delete the organisation</h3>
      <p class='hint'>Removes everything in it for every member, for good. An export from the last 24 hours is needed first.</p>
      <div><button type='button' class='btn btn-danger' onClick={() => setDeleting(true)}>Delete organisation…</button></div>
      {deleting && <DeleteOrgDialog org={org} name={name} exports={exports} onClose={() => setDeleting(false)} />}
    </section>
  )
}

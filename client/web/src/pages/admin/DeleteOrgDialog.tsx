import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { navigate } from '../../lib/router'
import { me, refreshMe, toast } from '../../lib/session'
import { ErrorBox, Modal, useSubmit } from '../../ui/common'
import { OrgExportPanel, downloadUrl, type OrgExports } from './OrgExport'

/** "Delete organisation…": the owner types the organisation's exact name; the button stays
 * disabled until it matches and an export finished within the last day (the export can be
 * started right here). Afterwards the app goes to the start page, without the organisation. */
export function DeleteOrgDialog ({ org, name, exports, onClose }: { org: string, name: string, exports: OrgExports, onClose: () => void }) {
  const [typed, setTyped] = useState('')
  const s = useSubmit()
  const recent = exports.recent
  const matches = typed === name
  async function remove (e: Event) {
    e.preventDefault()
    if (!matches || !recent) return
    const done = await s.run(() => api.del(`/api/v1/orgs/${org}`, { json: { confirm: typed } }).then(() => true))
    if (!done) return
    // Gone at once from the switcher and the start page, before the page that named it goes.
    if (me.value) me.value = { ...me.value, orgs: me.value.orgs.filter((o) => o.id !== org) }
    try { if (localStorage.getItem('atrium.org') === org) localStorage.removeItem('atrium.org') } catch {}
    navigate('/', { replace: true })
    toast(`${name} was deleted`, 'success')
    await refreshMe()
  }
  return (
    <Modal title='Delete organisation' onClose={onClose} describedBy='delete-org-what'>
      <form class='stack' onSubmit={(e) => { void remove(e) }} noValidate>
        <p id='delete-org-what'>
          Deleting <strong>{name}</strong> removes its projects, documents, chat, boards, records and files for every member, at once and for good. Members keep their accounts.
        </p>
        {recent
          ? (
            <p>
              An export finished {new Date(recent.finished_at ?? recent.created_at).toLocaleString()}. It is deleted with the organisation: <a href={downloadUrl(org, recent.id)} download>download it</a> first if you have not.
            </p>
            )
          : (
            <div class='stack'>
              <p><strong>Export the organisation first:</strong> it can be deleted once an export finished within the last 24 hours.</p>
              <OrgExportPanel org={org} exports={exports} compact />
            </div>
            )}
        <div class='field'>
          <label for='delete-org-confirm'>Type the organisation's name, <strong>{name}</strong>, to confirm</label>
          <input id='delete-org-confirm' autoComplete='off' spellcheck={false} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} aria-invalid={s.fields.confirm ? true : undefined} />
          {s.fields.confirm && <p class='field-error'>{s.fields.confirm}</p>}
        </div>
        <ErrorBox error={s.fields.confirm ? null : s.error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-danger' disabled={s.pending || !matches || !recent}>Delete organisation</button>
        </div>
      </form>
    </Modal>
  )
}

// Organisation settings → Document templates (owners and admins): the built-in starters
// (read-only; a template of the same name takes one's place) and the organisation's own, to
// create, edit and delete.
import { useState } from 'preact/hooks'
import { orgCan, toast, toastError } from '../../../lib/session'
import { ErrorBox, Spinner, confirmDialog, useAsync } from '../../../ui/common'
import { createTemplate, deleteTemplate, listTemplates, updateTemplate } from './api'
import type { DocTemplate } from './api'
import { TemplateForm } from './TemplateForm'
import './templates.css'

export function TemplatesSection ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const templates = useAsync((signal) => listTemplates(org, signal), [org])
  const [creating, setCreating] = useState(false)
  const [editing, setEditing] = useState<DocTemplate | null>(null)
  if (!admin) return null
  async function remove (t: DocTemplate) {
    const sure = await confirmDialog({
      title: `Delete the template “${t.name}”?`,
      message: 'Documents made from it keep their content.',
      action: 'Delete',
      danger: true
    })
    if (!sure) return
    try {
      await deleteTemplate(t.id)
      templates.reload()
      toast(`Template “${t.name}” deleted`, 'success')
    } catch (e) { toastError(e) }
  }
  return (
    <section class='stack' aria-labelledby='doc-templates-heading' data-testid='doc-templates'>
      <div class='row'>
        <h2 id='doc-templates-heading' class='grow'>Document templates</h2>
        <button class='btn btn-primary' onClick={() => setCreating(true)}>New template</button>
      </div>
      <small class='muted'>Everyone who can create documents may start one from these. Built-in templates cannot be changed; create one of the same name to use in its place.</small>
      <ErrorBox error={templates.error} retry={templates.reload} />
      {!templates.data
        ? (templates.error ? null : <Spinner />)
        : (
          <ul class='list template-list' aria-label='Document templates'>
            {templates.data.items.map((t) => (
              <li key={t.id} class='list-row'>
                <span class='grow template-row-text'>
                  <span><strong>{t.name}</strong>{t.builtin && <span class='muted small'> · Built-in</span>}</span>
                  {t.description && <small class='muted'>{t.description}</small>}
                </span>
                {t.can.write && <button class='btn btn-small' onClick={() => setEditing(t)} aria-label={`Edit template ${t.name}`}>Edit</button>}
                {t.can.delete && <button class='btn btn-small btn-danger' onClick={() => remove(t)} aria-label={`Delete template ${t.name}`}>Delete</button>}
              </li>
            ))}
          </ul>
          )}
      {creating && (
        <TemplateForm
          onSave={async (fields) => {
            await createTemplate(org, fields)
            templates.reload()
            toast(`Template “${fields.name.trim()}” created`, 'success')
          }}
          onClose={() => setCreating(false)}
        />
      )}
      {editing && (
        <TemplateForm
          editing={editing}
          onSave={async (fields) => {
            await updateTemplate(editing.id, fields)
            templates.reload()
            toast('Template saved', 'success')
          }}
          onClose={() => setEditing(null)}
        />
      )}
    </section>
  )
}

import { useState } from 'preact/hooks'
import { toast, toastError } from '../../lib/session'
import { formatTime } from '../../lib/text'
import { Empty, ErrorBox, Spinner, confirmDialog } from '../../ui/common'
import { TemplateForm } from './TemplateForm'
import { deleteTemplate, type EmailTemplate } from './api'

/** The organisation's e-mail templates (used by rules' e-mail actions): list, create, edit with
 * a preview, delete after confirming. `templates` is the page's load of them. */
export function EmailTemplates ({ org, templates }: {
  org: string
  templates: { data?: EmailTemplate[], error?: unknown, reload: () => void }
}) {
  const [editing, setEditing] = useState<EmailTemplate | 'new' | null>(null)
  async function remove (t: EmailTemplate) {
    const ok = await confirmDialog({ title: 'Delete this e-mail template?', message: `Rules that send “${t.name}” fail on their e-mail action until they name another template.`, action: 'Delete template', danger: true })
    if (!ok) return
    try { await deleteTemplate(t.id); toast('Template deleted', 'success'); templates.reload() } catch (e) { toastError(e) }
  }
  return (
    <section class='stack' aria-labelledby='templates-heading'>
      <div class='row'>
        <h2 id='templates-heading' class='grow'>E-mail templates</h2>
        <button type='button' class='btn' onClick={() => setEditing('new')}>New template</button>
      </div>
      {!templates.data
        ? (templates.error ? <ErrorBox error={templates.error} retry={templates.reload} /> : <Spinner />)
        : !templates.data.length
            ? <Empty title='No e-mail templates yet'>Rules, invoices and reminders send e-mails from these.</Empty>
            : (
              <ul class='list' aria-label='E-mail templates'>
                {templates.data.map((t) => (
                  <li key={t.id} class='list-row' data-testid='template'>
                    <div class='grow stack automation-tight'>
                      <strong>{t.name}</strong>
                      <span class='muted small'>{t.subject} · changed {formatTime(t.updated_at)}</span>
                    </div>
                    <button type='button' class='btn btn-small' aria-label={`Edit template ${t.name}`} onClick={() => setEditing(t)}>Edit</button>
                    <button type='button' class='btn btn-small btn-danger' aria-label={`Delete template ${t.name}`} onClick={() => remove(t)}>Delete</button>
                  </li>
                ))}
              </ul>
              )}
      {editing && (
        <TemplateForm
          org={org}
          template={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={() => templates.reload()}
        />
      )}
    </section>
  )
}

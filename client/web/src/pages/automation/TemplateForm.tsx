import { useEffect, useState } from 'preact/hooks'
import { toast } from '../../lib/session'
import { ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { TextBox } from './bits'
import { placeholders } from './form'
import { createTemplate, previewTemplate, updateTemplate, type EmailTemplate, type RenderedEmail } from './api'

/** How long typing in a sample value waits before the preview is asked for. */
const PREVIEW_DELAY_MS = 300

/**
 * Creates an e-mail template or edits one: name, subject, body with `{{field}}` placeholders.
 * The preview is the server's rendering of the saved template over sample values typed for
 * its placeholders, asked again as they change and after each save; a new template is saved
 * first (the dialog stays open on it).
 */
export function TemplateForm ({ org, template, onClose, onSaved }: {
  org: string
  template?: EmailTemplate
  onClose: () => void
  onSaved: (t: EmailTemplate) => void
}) {
  const [saved, setSaved] = useState<EmailTemplate | undefined>(template)
  const [name, setName] = useState(template?.name ?? '')
  const [subject, setSubject] = useState(template?.subject ?? '')
  const [body, setBody] = useState(template?.body ?? '')
  const [samples, setSamples] = useState<Record<string, string>>({})
  const [preview, setPreview] = useState<RenderedEmail | null>(null)
  const [previewError, setPreviewError] = useState<unknown>(null)
  const s = useSubmit()

  const names = placeholders(saved?.subject ?? '', saved?.body ?? '')
  const unsaved = !!saved && (name !== saved.name || subject !== saved.subject || body !== saved.body)

  useEffect(() => {
    if (!saved) return
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      const fields = Object.fromEntries(names.map((n) => [n, samples[n] ?? '']))
      previewTemplate(saved.id, fields, ctrl.signal).then(
        (r) => { setPreview(r); setPreviewError(null) },
        (e) => { if (e?.name !== 'AbortError') setPreviewError(e) }
      )
    }, PREVIEW_DELAY_MS)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [saved, JSON.stringify(samples)])

  async function save (e: Event) {
    e.preventDefault()
    const r = saved
      ? await s.run(() => updateTemplate(saved.id, { name, subject, body }))
      : await s.run(() => createTemplate(org, { name, subject, body }))
    if (!r) return
    toast(saved ? 'Template saved' : 'Template created', 'success')
    setSaved(r)
    onSaved(r)
  }

  return (
    <Modal title={saved ? `E-mail template ${saved.name}` : 'New e-mail template'} onClose={onClose} wide>
      <div class='automation-template'>
        <form class='stack' onSubmit={save} noValidate>
          <Field label='Name' name='template-name' required value={name} placeholder='invoice-overdue' onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} hint='Rules name the template by it; unique in the organisation.' />
          <Field label='Subject' name='template-subject' required value={subject} placeholder='Invoice {{name}} is overdue' onInput={(e) => setSubject(e.currentTarget.value)} error={s.fields.subject} />
          <TextBox label='Body' id='template-body' rows={8} required value={body} onInput={setBody} error={s.fields.body} hint='Plain text with {{field}} placeholders; values are inserted as text, never as markup.' />
          <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
          <div class='row-end'>
            <button type='button' class='btn' onClick={onClose}>{saved ? 'Close' : 'Cancel'}</button>
            <button class='btn btn-primary' disabled={s.pending || (!!saved && !unsaved)}>{saved ? 'Save template' : 'Create template'}</button>
          </div>
        </form>
        <section class='stack' aria-label='Preview'>
          <h3>Preview</h3>
          {!saved
            ? <p class='muted'>Create the template to preview it with sample values.</p>
            : (
              <>
                {names.length > 0 && (
                  <fieldset class='settings-group'>
                    <legend>Sample values</legend>
                    {names.map((n) => (
                      <Field key={n} label={n} name={`sample-${n.replace(/[^A-Za-z0-9_-]/g, '-')}`} value={samples[n] ?? ''} onInput={(e) => { const v = e.currentTarget.value; setSamples((x) => ({ ...x, [n]: v })) }} />
                    ))}
                  </fieldset>
                )}
                {unsaved && <p class='muted small' role='status'>The preview shows the saved version; save to see your changes.</p>}
                <ErrorBox error={previewError} />
                {preview && (
                  <div class='card stack automation-tight' data-testid='template-preview' aria-live='polite'>
                    <strong data-testid='preview-subject'>{preview.subject}</strong>
                    <pre class='automation-body' data-testid='preview-body'>{preview.body}</pre>
                  </div>
                )}
              </>
              )}
        </section>
      </div>
    </Modal>
  )
}

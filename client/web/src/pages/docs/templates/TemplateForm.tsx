// A template's fields in a dialog: name, description and the content as Markdown. Creating
// starts empty; editing loads the template's Markdown first.
import { useEffect, useState } from 'preact/hooks'
import { ErrorBox, Field, Modal, Spinner, useSubmit } from '../../../ui/common'
import { TextBox } from '../../automation/bits'
import { getTemplate } from './api'
import type { DocTemplate, TemplateFields } from './api'

export function TemplateForm ({ editing, onSave, onClose }: {
  /** The template being edited; absent: a new one. */
  editing?: DocTemplate
  onSave: (fields: TemplateFields) => Promise<void>
  onClose: () => void
}) {
  const [fields, setFields] = useState<TemplateFields | null>(editing ? null : { name: '', description: '', markdown: '' })
  const [loadError, setLoadError] = useState<unknown>(null)
  const s = useSubmit()
  useEffect(() => {
    if (!editing) return
    const abort = new AbortController()
    getTemplate(editing.id, abort.signal)
      .then((t) => setFields({ name: t.name, description: t.description, markdown: t.markdown ?? '' }))
      .catch((e) => { if (!abort.signal.aborted) setLoadError(e) })
    return () => abort.abort()
  }, [editing?.id])
  async function submit (e: Event) {
    e.preventDefault()
    if (!fields) return
    const ok = await s.run(async () => { await onSave(fields); return true })
    if (ok) onClose()
  }
  const set = (patch: Partial<TemplateFields>) => setFields((f) => f && { ...f, ...patch })
  return (
    <Modal title={editing ? `Edit template “${editing.name}”` : 'New document template'} onClose={onClose} wide>
      <ErrorBox error={loadError} />
      {!fields
        ? (loadError ? null : <Spinner />)
        : (
          <form onSubmit={submit} class='stack'>
            <Field label='Name' name='name' value={fields.name} required maxLength={100} onInput={(e) => set({ name: e.currentTarget.value })} error={s.fields.name} />
            <Field label='Description' name='description' value={fields.description} maxLength={500} onInput={(e) => set({ description: e.currentTarget.value })} error={s.fields.description} hint='Shown beside the name when people choose a template' />
            <div class='template-markdown'>
              <TextBox
                label='Content (Markdown)' id='template-markdown' value={fields.markdown} rows={14} onInput={(markdown) => set({ markdown })}
                error={s.fields.markdown} hint='Headings (#), lists (- or 1.), checklists (- [ ]), tables (| a | b |), **bold** and *italic*'
              />
            </div>
            <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
            <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>{editing ? 'Save' : 'Create template'}</button></div>
          </form>
          )}
    </Modal>
  )
}

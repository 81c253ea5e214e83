// "New document": a title and what to start from — a blank page or one of the organisation's
// templates (built-in starters and its own), each with its description. The choices are a
// radio group, so arrow keys move between them and the form submits with Enter.
import { useState } from 'preact/hooks'
import { ErrorBox, Field, Modal, Spinner, useAsync, useSubmit } from '../../../ui/common'
import { listTemplates } from './api'
import './templates.css'

export function NewDocDialog ({ org, title, onSave, onClose }: {
  org: string
  title: string
  /** Creates the document: `template` is null for a blank one; a blank title takes the template's name. */
  onSave: (title: string, template: string | null) => Promise<void>
  onClose: () => void
}) {
  const [name, setName] = useState('')
  const [template, setTemplate] = useState<string | null>(null)
  const templates = useAsync((signal) => listTemplates(org, signal), [org])
  const s = useSubmit()
  const chosen = templates.data?.items.find((t) => t.id === template)
  async function submit (e: Event) {
    e.preventDefault()
    const ok = await s.run(async () => { await onSave(name, template); return true })
    if (ok) onClose()
  }
  const option = (id: string | null, label: string, description: string) => (
    <label class={'template-option' + (template === id ? ' template-option-chosen' : '')} key={id ?? 'blank'}>
      <input type='radio' name='template' value={id ?? ''} checked={template === id} onChange={() => setTemplate(id)} />
      <span class='template-option-text'>
        <span class='template-option-name'>{label}</span>
        <small class='muted'>{description}</small>
      </span>
    </label>
  )
  return (
    <Modal title={title} onClose={onClose} wide>
      <form onSubmit={submit} class='stack'>
        <Field
          label='Title' name='title' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.title}
          placeholder={chosen ? chosen.name : 'Untitled'}
        />
        <fieldset class='template-choices' data-testid='template-picker'>
          <legend>Start from</legend>
          {option(null, 'Blank', 'An empty page')}
          {templates.data?.items.map((t) => option(t.id, t.name, t.description || (t.builtin ? 'Built-in template' : 'Template')))}
          {templates.loading && !templates.data && <Spinner label='Loading templates…' />}
        </fieldset>
        <ErrorBox error={templates.error} retry={templates.reload} />
        <ErrorBox error={s.fields.title ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Create</button></div>
      </form>
    </Modal>
  )
}

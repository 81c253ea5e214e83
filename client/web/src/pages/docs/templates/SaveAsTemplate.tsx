// "Save as template" on a document page (org owners and admins): the document's content, as
// it is now, becomes a template of the organisation under the name given.
import { useState } from 'preact/hooks'
import { orgCan, toast } from '../../../lib/session'
import { ErrorBox, Field, Modal, useSubmit } from '../../../ui/common'
import { createTemplate } from './api'

export function SaveAsTemplate ({ org, doc, title }: { org: string, doc: string, title: string }) {
  const [open, setOpen] = useState(false)
  if (!(orgCan(org)?.manage ?? false)) return null
  return (
    <>
      <button class='btn btn-small' onClick={() => setOpen(true)}>Save as template</button>
      {open && <SaveDialog org={org} doc={doc} title={title} onClose={() => setOpen(false)} />}
    </>
  )
}

function SaveDialog ({ org, doc, title, onClose }: { org: string, doc: string, title: string, onClose: () => void }) {
  const [name, setName] = useState(title)
  const [description, setDescription] = useState('')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const saved = await s.run(() => createTemplate(org, { name, description, from_doc: doc }))
    if (saved) {
      toast(`Saved as the template “${saved.name}”`, 'success')
      onClose()
    }
  }
  return (
    <Modal title='Save as template' onClose={onClose}>
      <form onSubmit={submit} class='stack'>
        <Field label='Template name' name='name' value={name} required maxLength={100} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Field label='Description' name='description' value={description} maxLength={500} onInput={(e) => setDescription(e.currentTarget.value)} error={s.fields.description} />
        <ErrorBox error={s.fields.name || s.fields.description ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Save template</button></div>
      </form>
    </Modal>
  )
}

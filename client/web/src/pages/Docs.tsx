import { useState } from 'preact/hooks'
import { api } from '../lib/api'
import { navigate } from '../lib/router'
import { projects, toast, toastError } from '../lib/session'
import type { Doc } from '../lib/types'
import { Spinner, Empty, ErrorBox, useAsync, Modal, Field, useSubmit, useTitle } from '../ui/common'
import { formatTime } from '../lib/text'

export function DocsList ({ org, project }: { org: string, project: string }) {
  const [trash, setTrash] = useState(false)
  const [creating, setCreating] = useState(false)
  const [renaming, setRenaming] = useState<Doc | null>(null)
  const proj = projects.value.find((p) => p.id === project)
  const writable = proj?.can?.write ?? false
  useTitle(proj ? `Documents · ${proj.name}` : 'Documents')
  const docs = useAsync((signal) => api.get<{ items: Doc[] }>(`/api/v1/projects/${project}/docs${trash ? '?trashed=true' : ''}`, { signal }), [project, trash])
  async function moveToTrash (d: Doc) {
    try {
      await api.del(`/api/v1/docs/${d.id}`)
      docs.setData((x) => ({ items: (x?.items ?? []).filter((y) => y.id !== d.id) }))
      toast(`“${d.title}” moved to the trash`, 'success')
    } catch (e) { toastError(e) }
  }
  async function restore (d: Doc) {
    try {
      await api.post(`/api/v1/docs/${d.id}/restore`)
      docs.setData((x) => ({ items: (x?.items ?? []).filter((y) => y.id !== d.id) }))
      toast(`“${d.title}” restored`, 'success')
    } catch (e) { toastError(e) }
  }
  return (
    <section class='page'>
      <div class='page-head'>
        <h1>{trash ? 'Trash' : 'Documents'}{proj && <span class='muted h-sub'> · {proj.name}</span>}</h1>
        <div class='row'>
          <button class='btn' aria-pressed={trash} onClick={() => setTrash(!trash)}>{trash ? 'Back to documents' : 'Trash'}</button>
          {writable && !trash && <button class='btn btn-primary' onClick={() => setCreating(true)}>New document</button>}
        </div>
      </div>
      <ErrorBox error={docs.error} retry={docs.reload} />
      {!docs.data
        ? (docs.error ? null : <Spinner />)
        : !docs.data?.items.length
            ? <Empty title={trash ? 'The trash is empty' : 'No documents yet'}>{!trash && writable && <button class='btn-link' onClick={() => setCreating(true)}>Create the first document</button>}</Empty>
            : (
              <ul class='list' data-testid='doc-list'>
                {docs.data.items.map((d) => (
                  <li key={d.id} class='list-row'>
                    {trash
                      ? <span class='grow'>{d.title}</span>
                      : <a class='grow' href={`/o/${org}/p/${project}/docs/${d.id}`}>{d.title}</a>}
                    <span class='muted small'>{formatTime(d.updated_at)}</span>
                    {writable && (trash
                      ? <button class='btn btn-small' onClick={() => restore(d)}>Restore</button>
                      : (
                        <>
                          <button class='btn btn-small' onClick={() => setRenaming(d)} aria-label={`Rename ${d.title}`}>Rename</button>
                          <button class='btn btn-small btn-danger' onClick={() => moveToTrash(d)} aria-label={`Move ${d.title} to the trash`}>Trash</button>
                        </>
                        ))}
                  </li>
                ))}
              </ul>
              )}
      {creating && (
        <TitleDialog
          title='New document' action='Create' initial=''
          onSave={async (title) => {
            const d = await api.post<Doc>(`/api/v1/projects/${project}/docs`, { title })
            navigate(`/o/${org}/p/${project}/docs/${d.id}`)
          }}
          onClose={() => setCreating(false)}
        />
      )}
      {renaming && (
        <TitleDialog
          title='Rename document' action='Rename' initial={renaming.title}
          onSave={async (title) => {
            const d = await api.patch<Doc>(`/api/v1/docs/${renaming.id}`, { title })
            docs.setData((x) => ({ items: (x?.items ?? []).map((y) => y.id === d.id ? d : y) }))
          }}
          onClose={() => setRenaming(null)}
        />
      )}
    </section>
  )
}

export function TitleDialog ({ title, action, initial, onSave, onClose }: { title: string, action: string, initial: string, onSave: (t: string) => Promise<void>, onClose: () => void }) {
  const [value, setValue] = useState(initial)
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const ok = await s.run(async () => { await onSave(value); return true })
    if (ok) onClose()
  }
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={submit} class='stack'>
        <Field label='Title' name='title' value={value} onInput={(e) => setValue(e.currentTarget.value)} error={s.fields.title} />
        <ErrorBox error={s.fields.title ? null : s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>{action}</button></div>
      </form>
    </Modal>
  )
}

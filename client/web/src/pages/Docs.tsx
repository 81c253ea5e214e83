import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../lib/api'
import { navigate } from '../lib/router'
import { events, projects, toast, toastError } from '../lib/session'
import type { Doc } from '../lib/types'
import { Spinner, Empty, ErrorBox, useAsync, Modal, Field, useSubmit, useTitle } from '../ui/common'
import { formatTime } from '../lib/text'
import { ImportButton } from './docs/export/ImportButton'
import { DocTree, lastChildOf } from './docs/DocTree'
import { applyPlacements } from './docs/tree'
import { NewDocDialog } from './docs/templates/NewDocDialog'

export function DocsList ({ org, project }: { org: string, project: string }) {
  const [trash, setTrash] = useState(false)
  const [creating, setCreating] = useState(false)
  /** "New sub-page": the page the new one goes under (null: the top level). */
  const [creatingUnder, setCreatingUnder] = useState<Doc | null>(null)
  const [renaming, setRenaming] = useState<Doc | null>(null)
  const proj = projects.value.find((p) => p.id === project)
  const writable = proj?.can?.write ?? false
  useTitle(proj ? `Documents · ${proj.name}` : 'Documents')
  const docs = useAsync((signal) => api.get<{ items: Doc[] }>(`/api/v1/projects/${project}/docs${trash ? '?trashed=true' : ''}`, { signal }), [project, trash])
  const shownRef = useRef(docs.data?.items)
  shownRef.current = docs.data?.items
  // Other people's changes arrive on the events socket: new pages (`doc.created`) and titles
  // (`doc.updated`) are taken as they are; the placements of a move (`doc.moved`) are applied
  // when every page they name is here, otherwise (a trashed or restored page) the list reloads.
  useEffect(() => {
    if (trash) return
    const offs = [
      events.on('doc.moved', (f) => {
        if (f.data.project_id !== project) return
        const ids = new Set((shownRef.current ?? []).map((d) => d.id))
        const known = f.data.placements.some((pl) => pl.id === f.data.doc_id) && f.data.placements.every((pl) => ids.has(pl.id))
        if (!known) docs.reload()
        else docs.setData((x) => ({ items: applyPlacements(x?.items ?? [], f.data.placements) }))
      }),
      events.on('doc.created', (f) => {
        if (f.data.project_id !== project) return
        docs.setData((x) => {
          const items = x?.items ?? []
          return items.some((d) => d.id === f.data.id) ? { items } : { items: [...items, f.data] }
        })
      }),
      events.on('doc.updated', (f) => {
        if (f.data.project_id !== project) return
        docs.setData((x) => ({ items: (x?.items ?? []).map((d) => d.id === f.data.id ? { ...d, title: f.data.title, updated_at: f.data.updated_at } : d) }))
      }),
      events.on('resync', () => docs.reload())
    ]
    return () => { for (const off of offs) off() }
  }, [project, trash])
  async function moveToTrash (d: Doc) {
    try {
      await api.del(`/api/v1/docs/${d.id}`)
      // Its pages move up into its place: the list as the server has it now.
      docs.setData((x) => ({ items: (x?.items ?? []).filter((y) => y.id !== d.id) }))
      docs.reload()
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
          {writable && !trash && <ImportButton org={org} project={project} />}
          {writable && !trash && <button class='btn btn-primary' onClick={() => setCreating(true)}>New document</button>}
        </div>
      </div>
      <ErrorBox error={docs.error} retry={docs.reload} />
      {!docs.data
        ? (docs.error ? null : <Spinner />)
        : !docs.data?.items.length
            ? <Empty title={trash ? 'The trash is empty' : 'No documents yet'}>{!trash && writable && <button class='btn-link' onClick={() => setCreating(true)}>Create the first document</button>}</Empty>
            : !trash
                ? (
                  <DocTree
                    org={org} project={project} docs={docs.data.items} writable={writable}
                    onMoved={(d) => docs.setData((x) => ({ items: applyPlacements(x?.items ?? [], [d]) }))}
                    onRename={setRenaming} onTrash={moveToTrash}
                    onNewSubPage={(parent) => { setCreatingUnder(parent); setCreating(true) }}
                  />
                  )
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
        <NewDocDialog
          org={org} title={creatingUnder ? `New sub-page of “${creatingUnder.title}”` : 'New document'}
          onSave={async (title, template) => {
            const d = await api.post<Doc>(`/api/v1/projects/${project}/docs`, template ? { title, template } : { title })
            if (creatingUnder) {
              const after = lastChildOf(docs.data?.items ?? [], creatingUnder.id)
              await api.patch<Doc>(`/api/v1/docs/${d.id}`, { parent: creatingUnder.id, after })
            }
            navigate(`/o/${org}/p/${project}/docs/${d.id}`)
          }}
          onClose={() => { setCreating(false); setCreatingUnder(null) }}
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

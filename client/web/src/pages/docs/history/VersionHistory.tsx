// The History dialog of a document: named versions and automatic snapshots grouped by day,
// each with who edited and when; preview one, compare one with the current document or two
// with each other, restore one.
import { useEffect, useRef, useState } from 'preact/hooks'
import { api } from '../../../lib/api'
import { toast, toastError } from '../../../lib/session'
import type { DocVersion } from '../../../lib/types'
import { Avatar, ErrorBox, Spinner, useAsync, Empty, Modal, confirmDialog } from '../../../ui/common'
import { createPreview } from '../../../editor/collab'
import { DiffView, type VersionDiff } from './DiffView'
import { byDay, versionLabel } from './history'
import './history.css'

type Pane = { kind: 'preview', v: DocVersion, content: unknown } | { kind: 'diff', diff: VersionDiff, from: string, to: string }

export function VersionHistory ({ docId, writable, onClose }: { docId: string, writable: boolean, onClose: () => void }) {
  const list = useAsync((signal) => api.get<{ items: DocVersion[] }>(`/api/v1/docs/${docId}/versions`, { signal }), [docId])
  const [name, setName] = useState('')
  const [pane, setPane] = useState<Pane | null>(null)
  const [picked, setPicked] = useState<string[]>([])
  const [busy, setBusy] = useState(false)
  const versions = list.data?.items ?? []
  async function nameVersion (e: Event) {
    e.preventDefault()
    setBusy(true)
    try {
      await api.post(`/api/v1/docs/${docId}/versions`, { name: name || `Version of ${new Date().toLocaleString()}` })
      setName('')
      list.reload()
    } catch (e) { toastError(e) } finally { setBusy(false) }
  }
  async function show (v: DocVersion) {
    try {
      const json = await api.get<{ default?: unknown }>(`/api/v1/docs/${docId}/versions/${v.id}/content?format=json`)
      setPane({ kind: 'preview', v, content: json.default ?? { type: 'doc', content: [] } })
    } catch (e) { toastError(e) }
  }
  async function compare (ids: string[]) {
    const chosen = versions.filter((v) => ids.includes(v.id)).sort((a, b) => a.created_at - b.created_at)
    if (!chosen.length) { setPane(null); return }
    const [older, newer] = chosen
    try {
      const diff = await api.get<VersionDiff>(`/api/v1/docs/${docId}/versions/${older.id}/diff/${newer?.id ?? 'current'}`)
      setPane({ kind: 'diff', diff, from: versionLabel(older), to: newer ? versionLabel(newer) : 'the current document' })
    } catch (e) { toastError(e) }
  }
  function togglePick (v: DocVersion) {
    // Two at most: picking a third lets go of the first picked.
    const next = picked.includes(v.id) ? picked.filter((id) => id !== v.id) : [...picked, v.id].slice(-2)
    setPicked(next)
    void compare(next)
  }
  async function restore (v: DocVersion) {
    const label = versionLabel(v)
    if (!await confirmDialog({ title: `Restore “${label}”?`, message: 'Everyone editing will see the document as it was then.', action: 'Restore version' })) return
    try {
      await api.post(`/api/v1/docs/${docId}/versions/${v.id}/restore`)
      toast(`Restored “${label}”`, 'success')
      onClose()
    } catch (e) { toastError(e) }
  }
  return (
    <Modal title='Version history' onClose={onClose} wide>
      {writable && (
        <form class='row' onSubmit={nameVersion}>
          <label class='sr-only' for='version-name'>Version name</label>
          <input id='version-name' placeholder='Name this version' value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button class='btn btn-primary' disabled={busy}>Save version</button>
        </form>
      )}
      <ErrorBox error={list.error} retry={list.reload} />
      <div class='versions'>
        <div class='versions-list'>
          {!list.data
            ? (list.error ? null : <Spinner />)
            : !versions.length
                ? <Empty title='No versions yet'>Name a version, or edit: the history keeps snapshots as you go.</Empty>
                : byDay(versions).map((group) => (
                  <section key={group.day} class='versions-day' aria-label={group.day}>
                    <h3 class='versions-day-title'>{group.day}</h3>
                    <ul class='list'>
                      {group.versions.map((v) => (
                        <li key={v.id} class={'version-row' + (pane?.kind === 'preview' && pane.v.id === v.id ? ' selected' : '')} data-kind={v.kind} data-testid='version-row'>
                          <div class='version-head'>
                            <button class='btn-link grow' onClick={() => show(v)}>{versionLabel(v)}</button>
                            <span class='muted small'>{v.kind === 'named' ? 'Named' : 'Auto'}</span>
                          </div>
                          {v.authors.length > 0 && (
                            <div class='version-authors small'>
                              {v.authors.map((a) => <span key={a.id} class='version-author'><Avatar id={a.id} name={a.name} size={18} /><span>{a.name}</span></span>)}
                            </div>
                          )}
                          <div class='version-actions'>
                            <label class='small'>
                              <input type='checkbox' checked={picked.includes(v.id)} onChange={() => togglePick(v)} />
                              {' '}Compare<span class='sr-only'> {versionLabel(v)}</span>
                            </label>
                            {writable && <button class='btn btn-small' onClick={() => restore(v)}>Restore</button>}
                          </div>
                        </li>
                      ))}
                    </ul>
                  </section>
                ))}
        </div>
        <div class='versions-preview'>
          {pane?.kind === 'preview' && <VersionPreview key={pane.v.id} content={pane.content} />}
          {pane?.kind === 'diff' && <DiffView diff={pane.diff} fromLabel={pane.from} toLabel={pane.to} />}
          {!pane && <p class='muted'>Choose a version to preview it, or tick Compare on one (against the current document) or two.</p>}
        </div>
      </div>
    </Modal>
  )
}

/** A version as the editor shows it: a read-only editor over the version's content. */
function VersionPreview ({ content }: { content: unknown }) {
  const host = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const editor = createPreview(host.current!, content)
    return () => editor.destroy()
  }, [content])
  return <div ref={host} class='editor readonly version-preview' data-testid='version-preview' />
}

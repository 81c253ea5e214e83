import { Icon } from '../ui/icons'
// The document screen (lazy chunk with the editor).
import { useEffect, useRef, useState } from 'preact/hooks'
import type { ComponentChildren } from 'preact'
import type { Editor } from '@tiptap/core'
import { api, ApiError, sessionToken, upload, wsBase } from '../lib/api'
import { me, members, projects, toast, toastError } from '../lib/session'
import { userColor } from '../lib/text'
import type { Doc, Project } from '../lib/types'
import { Avatar, ErrorBox, Spinner, useAsync, Empty, useTitle, confirmDialog, promptDialog } from '../ui/common'
import { createCollabEditor, type CollabEditor, type Peer, type SaveState } from '../editor/collab'
import { TitleDialog } from './Docs'
import { DocActions } from './docs/export/DocActions'
import { CommentsPanel } from './docs/comments/CommentsPanel'
import { SaveAsTemplate } from './docs/templates/SaveAsTemplate'
import { VersionHistory } from './docs/history/VersionHistory'

const SAVE_LABEL: Record<SaveState, string> = {
  connecting: 'Connecting…',
  saving: 'Saving…',
  saved: 'Saved',
  offline: 'Offline — changes kept on this device',
  denied: 'No access',
  trashed: 'In the trash'
}

/** How often a document in the trash is looked at again, to resume when someone restores it. */
const TRASH_POLL_MS = 3000

export default function DocPage ({ org, project, doc }: { org: string, project: string, doc: string }) {
  const meta = useAsync((signal) => api.get<Doc>(`/api/v1/docs/${doc}`, { signal }), [doc])
  const proj = useAsync<Project | undefined>(async (signal) => projects.value.find((p) => p.id === project) ?? await api.get<Project>(`/api/v1/projects/${project}`, { signal }), [project])
  const role = proj.data?.role
  const [renaming, setRenaming] = useState(false)
  const [history, setHistory] = useState(false)
  useTitle(meta.data?.title)
  const trashed = !!meta.data?.trashed_at
  // In the trash: look again now and then, so that a restore by anyone resumes live editing.
  // One look at a time, none while the tab is hidden; a document deleted for good or no longer
  // readable reloads the page's own answer (which then says so) and ends the looking.
  useEffect(() => {
    if (!trashed) return
    const aborter = new AbortController()
    let timer: ReturnType<typeof setTimeout>
    const look = async () => {
      if (!document.hidden) {
        try {
          const nd = await api.get<Doc>(`/api/v1/docs/${doc}`, { signal: aborter.signal })
          if (!nd.trashed_at) { meta.setData(() => nd); return }
        } catch (e) {
          if (aborter.signal.aborted) return
          if (e instanceof ApiError && (e.status === 404 || e.status === 403)) { meta.reload(); return }
        }
      }
      timer = setTimeout(look, TRASH_POLL_MS)
    }
    timer = setTimeout(look, TRASH_POLL_MS)
    return () => { aborter.abort(); clearTimeout(timer) }
  }, [trashed, doc])
  const [restoring, setRestoring] = useState(false)
  // A notification's link names the comment thread to show (`?comment=`).
  const commentParam = new URLSearchParams(location.search).get('comment')
  if (meta.error instanceof ApiError && (meta.error.status === 404 || meta.error.status === 403)) {
    return (
      <section class='page'>
        <Empty title='This document does not exist, or you have no access to it'>
          It may have been deleted for good, or its link may be wrong. <a href={`/o/${org}/p/${project}/docs`}>Back to the project’s documents</a>
        </Empty>
      </section>
    )
  }
  if (meta.error) return <section class='page'><ErrorBox error={meta.error} retry={meta.reload} /></section>
  if (!meta.data || !proj.data) return <section class='page'><Spinner /></section>
  const d = meta.data
  const mayWrite = d.can?.write ?? false
  const mayRestore = d.can?.delete ?? false
  const writable = mayWrite && !trashed
  async function restore () {
    setRestoring(true)
    try {
      const nd = await api.post<Doc>(`/api/v1/docs/${doc}/restore`)
      meta.setData(() => nd)
      toast(`“${d.title}” restored`, 'success')
    } catch (e) { toastError(e) } finally { setRestoring(false) }
  }
  return (
    <section class='page doc-page'>
      <div class='doc-head'>
        <a class='muted small' href={`/o/${org}/p/${project}/docs`}>← Documents</a>
        <h1 class='doc-title'>
          {d.title}
          {writable && <button class='btn btn-small' onClick={() => setRenaming(true)} aria-label='Rename document'>Rename</button>}
        </h1>
        <DocActions doc={doc} title={d.title} />
        {!trashed && <SaveAsTemplate org={org} doc={doc} title={d.title} />}
      </div>
      {trashed && (
        <div class='banner banner-warn row' role='status' data-testid='trash-banner'>
          <span class='grow'>This document was moved to the trash, so it cannot be edited. {mayRestore ? '' : 'Ask an editor of the project to restore it.'}</span>
          {mayRestore && <button class='btn btn-small' disabled={restoring} onClick={restore}>Restore</button>}
        </div>
      )}
      {!mayWrite && <div class='banner banner-info' data-testid='readonly-banner'>You can read this document but not edit it ({role}).</div>}
      <EditorPane
        key={doc} docId={doc} project={project} writable={writable} trashed={trashed} onHistory={() => setHistory(true)}
        onTrashed={() => meta.setData((old) => ({ ...(old ?? d), trashed_at: old?.trashed_at ?? Date.now() }))}
        aside={(editor, activated) => <CommentsPanel key={`${doc}:${trashed ? 'trash' : 'live'}`} docId={doc} editor={editor} activated={activated} initial={commentParam} canEdit={writable} />}
      />
      {renaming && (
        <TitleDialog
          title='Rename document' action='Rename' initial={d.title}
          onSave={async (title) => { const nd = await api.patch<Doc>(`/api/v1/docs/${doc}`, { title }); meta.setData(() => nd) }}
          onClose={() => setRenaming(false)}
        />
      )}
      {history && <VersionHistory docId={doc} writable={writable} onClose={() => setHistory(false)} />}
    </section>
  )
}

/** Beside the editor (a document's comments): given the editor once it exists, and the comment
 * thread whose marked text was last clicked. */
type Aside = (editor: Editor | null, activated: { thread: string, at: number } | null) => ComponentChildren

/** The live editor of one document; also a task's description (without version history). */
export function EditorPane ({ docId, project, writable, trashed = false, onHistory, onTrashed, aside }: { docId: string, project: string, writable: boolean, trashed?: boolean, onHistory?: () => void, onTrashed?: () => void, aside?: Aside }) {
  const host = useRef<HTMLDivElement>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const [ce, setCe] = useState<CollabEditor | null>(null)
  const [save, setSave] = useState<SaveState>('connecting')
  const [peers, setPeers] = useState<Peer[]>([])
  const [, force] = useState(0)
  const trashedRef = useRef(onTrashed)
  trashedRef.current = onTrashed
  const [activated, setActivated] = useState<{ thread: string, at: number } | null>(null)
  useEffect(() => {
    const user = me.value!.user
    const c = createCollabEditor({
      element: host.current!,
      docId,
      wsBase: wsBase(),
      token: sessionToken(),
      user: { id: user.id, name: user.name, color: userColor(user.id) },
      editable: writable,
      people: () => members.value.map((m) => ({ id: m.user.id, handle: m.user.handle, name: m.user.name })),
      uploadImage: async (file) => {
        const f = await upload<{ id: string }>(`/api/v1/projects/${project}/files`, file, file.name).promise
        return `/api/v1/files/${f.id}/content`
      },
      onSaveState: setSave,
      onPeers: setPeers,
      onError: (m) => toast(m, 'error'),
      onTrashed: () => trashedRef.current?.(),
      onCommentActivate: (thread) => setActivated({ thread, at: Date.now() })
    })
    const rerender = () => force((n) => n + 1)
    c.editor.on('transaction', rerender)
    setCe(c)
    return () => { c.editor.off('transaction', rerender); c.destroy() }
  }, [docId])
  useEffect(() => { ce?.setEditable(writable && save !== 'trashed') }, [ce, writable, save])
  // Restored (by this person or another): live again.
  useEffect(() => { if (!trashed) ce?.resume() }, [ce, trashed])
  // Keep unsent edits: warn before closing the tab while the server has not confirmed them.
  useEffect(() => {
    const onBefore = (e: BeforeUnloadEvent) => { if (save === 'saving') e.preventDefault() }
    window.addEventListener('beforeunload', onBefore)
    return () => window.removeEventListener('beforeunload', onBefore)
  }, [save])
  const ed = ce?.editor
  // `active`: a format the selection has or not (a toggle, announced pressed or not); `null`
  // for an action (undo, insert, add a row), which is not a toggle. `hint` is the tooltip.
  const btn = (label: any, active: boolean | null, run: () => void, name = label, hint = name) => (
    <button type='button' class={'tool' + (active ? ' active' : '')} aria-pressed={active ?? undefined} title={hint} aria-label={name} disabled={!writable || !ed} onMouseDown={(e) => e.preventDefault()} onClick={run}>{label}</button>
  )
  const chain = () => ed!.chain().focus()
  return (
    <div class='editor-wrap'>
      <div class='editor-bar'>
        <div class='toolbar' role='toolbar' aria-label='Formatting'>
          {ed && (
            <>
              {btn('H1', ed.isActive('heading', { level: 1 }), () => chain().toggleHeading({ level: 1 }).run(), 'Heading 1')}
              {btn('H2', ed.isActive('heading', { level: 2 }), () => chain().toggleHeading({ level: 2 }).run(), 'Heading 2')}
              {btn('H3', ed.isActive('heading', { level: 3 }), () => chain().toggleHeading({ level: 3 }).run(), 'Heading 3')}
              {btn('B', ed.isActive('bold'), () => chain().toggleBold().run(), 'Bold')}
              {btn('I', ed.isActive('italic'), () => chain().toggleItalic().run(), 'Italic')}
              {btn('•', ed.isActive('bulletList'), () => chain().toggleBulletList().run(), 'Bulleted list')}
              {btn('1.', ed.isActive('orderedList'), () => chain().toggleOrderedList().run(), 'Numbered list')}
              {btn('☑', ed.isActive('taskList'), () => chain().toggleTaskList().run(), 'Checklist')}
              {btn('</>', ed.isActive('codeBlock'), () => chain().toggleCodeBlock().run(), 'Code block')}
              {btn(<Icon name='link' size={16} />, ed.isActive('link'), async () => {
                if (ed.isActive('link')) { chain().unsetLink().run(); return }
                const url = (await promptDialog({ title: 'Add a link', label: 'Link address', placeholder: 'https://…', action: 'Add link' }))?.trim()
                if (!url) return
                if (/^(https?:|mailto:)/i.test(url)) chain().setLink({ href: url }).run()
                else toast('A link starts with https://, http:// or mailto:', 'error')
              }, 'Link')}
              {!ed.isActive('table') && btn('▦', null, () => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run(), 'Insert table')}
              {btn(<Icon name='image' size={16} />, null, () => fileInput.current?.click(), 'Insert image')}
              {btn('↶', null, () => chain().undo().run(), 'Undo')}
              {btn('↷', null, () => chain().redo().run(), 'Redo')}
            </>
          )}
          {ed?.isActive('table') && (
            <span class='table-tools' role='group' aria-label='Table'>
              {btn('Add row', null, () => chain().addRowAfter().run(), 'Add row', 'Add a row below this one')}
              {btn('Add column', null, () => chain().addColumnAfter().run(), 'Add column', 'Add a column to the right of this one')}
              {btn('Delete row', null, () => chain().deleteRow().run(), 'Delete row', 'Delete this row')}
              {btn('Delete column', null, () => chain().deleteColumn().run(), 'Delete column', 'Delete this column')}
              {btn('Delete table', null, async () => {
                if (await confirmDialog({ title: 'Delete this table?', message: 'The whole table and what is in it go. Undo brings it back.', action: 'Delete table', danger: true })) chain().deleteTable().run()
              }, 'Delete table')}
            </span>
          )}
          <input ref={fileInput} type='file' accept='image/*' hidden onChange={(e) => { const f = e.currentTarget.files?.[0]; if (f) ce?.insertImage(f); e.currentTarget.value = '' }} />
        </div>
        <div class='editor-meta'>
          <span class={`save-state save-${save}`} data-testid='save-state' data-state={save} role='status'>{SAVE_LABEL[save]}</span>
          <div class='peers' aria-label='People here'>
            {peers.map((p) => <span key={p.id} data-testid='peer' class='peer'><Avatar id={p.id} name={p.name} size={26} title={p.self ? `${p.name} (you)` : p.name} /></span>)}
          </div>
          {onHistory && <button class='btn btn-small' onClick={onHistory}>History</button>}
        </div>
      </div>
      {!ce && <Spinner />}
      <div class={aside ? 'editor-with-aside' : undefined}>
        <div ref={host} class={'editor' + (writable ? '' : ' readonly')} data-testid='editor' />
        {aside?.(ce?.editor ?? null, activated)}
      </div>
    </div>
  )
}


// The comments beside a document: threads anchored to its text, in the order their text comes
// in the document (threads whose text was deleted last, with the text they were about), their
// replies, and resolve / reopen. A thread starts from the editor's selection. Other people's
// comments arrive live (`doc.comment`); the active thread's text is marked in the editor, and
// clicking marked text makes its thread active.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { Editor } from '@tiptap/core'
import { api } from '../../../lib/api'
import { renderMarkdown } from '../../../lib/markdown'
import { formatTime } from '../../../lib/text'
import { events, me, toast, toastError } from '../../../lib/session'
import type { DocComment, DocComments } from '../../../lib/types'
import { Avatar, ErrorBox, Spinner, useAsync } from '../../../ui/common'
import { anchorOfSelection, revealThread, setActiveThread, showThreads, threadRanges, type Anchor } from '../../../editor/comments'
import { groupThreads, orderThreads, type Thread } from './threads'

interface Props {
  docId: string
  editor: Editor | null
  /** The thread to open first (from a notification's link). */
  initial?: string | null
  /** Set by the editor when marked text is clicked. */
  activated: { thread: string, at: number } | null
  /** Whether the viewer may edit the document (and so accept suggested edits). */
  canEdit?: boolean
}

export function CommentsPanel ({ docId, editor, initial = null, activated, canEdit = false }: Props) {
  const list = useAsync((signal) => api.get<DocComments>(`/api/v1/docs/${docId}/comments`, { signal }), [docId])
  const [showResolved, setShowResolved] = useState(false)
  const [active, setActive] = useState<string | null>(initial)
  const [draft, setDraft] = useState<{ anchor: Anchor, quote: string, suggest: boolean } | null>(null)
  const [, redraw] = useState(0)
  const comments = list.data?.items ?? []
  const threads = useMemo(() => groupThreads(comments), [comments])

  // Other people's comments, resolutions and reopenings, live.
  useEffect(() => {
    const offs = [
      events.on('doc.comment', (f) => {
        if (f.data.comment.doc_id !== docId) return
        list.setData((x) => withComment(x, f.data.comment))
      }),
      events.on('resync', () => list.reload())
    ]
    return () => { for (const off of offs) off() }
  }, [docId])

  // The editor marks the open threads; its edits move the marks (which may reorder the threads
  // or lose one whose text went), its selection decides whether there is something to comment
  // on, and the marks are found after this panel has drawn the threads. A transaction redraws
  // the panel only when one of those changed — not on every keystroke.
  useEffect(() => {
    if (!editor) return
    showThreads(editor, threads.filter((t) => !t.first.resolved_at && t.first.anchor).map((t) => ({ id: t.id, anchor: t.first.anchor! })))
  }, [editor, threads])
  useEffect(() => {
    if (!editor) return
    setActiveThread(editor, active)
  }, [editor, active, threads])
  useEffect(() => {
    if (!editor) return
    let seen = ''
    const onUpdate = () => {
      const now = panelView(editor)
      if (now !== seen) { seen = now; redraw((n) => n + 1) }
    }
    editor.on('transaction', onUpdate)
    return () => { editor.off('transaction', onUpdate) }
  }, [editor])
  useEffect(() => {
    if (!activated) return
    setActive(activated.thread)
    const t = threads.find((x) => x.id === activated.thread)
    if (t?.first.resolved_at) setShowResolved(true)
  }, [activated])
  // A notification's thread: shown (and its text scrolled to) once everything is loaded.
  const revealed = useRef(false)
  useEffect(() => {
    if (!initial || revealed.current || !editor || !list.data) return
    revealed.current = true
    const t = threads.find((x) => x.id === initial)
    if (t?.first.resolved_at) setShowResolved(true)
    setTimeout(() => { if (!editor.isDestroyed) revealThread(editor, initial) }, 200)
  }, [initial, editor, list.data])

  const ranges = editor ? threadRanges(editor) : new Map()
  const open = orderThreads(threads.filter((t) => !t.first.resolved_at), ranges)
  const resolved = threads.filter((t) => t.first.resolved_at)
  const canComment = list.data?.can_comment ?? false

  function startThread (suggest: boolean) {
    if (!editor) return
    const sel = anchorOfSelection(editor)
    if (!sel) return
    setDraft({ ...sel, suggest })
  }
  async function post (body: { text: string, anchor?: Anchor, quote?: string, thread?: string, suggestion?: string }): Promise<boolean> {
    try {
      const c = await api.post<DocComment>(`/api/v1/docs/${docId}/comments`, body)
      list.setData((x) => withComment(x, c))
      setActive(c.thread)
      return true
    } catch (e) {
      toastError(e)
      return false
    }
  }
  async function resolve (t: Thread, done: boolean) {
    try {
      const c = await api.post<DocComment>(`/api/v1/comments/${t.id}/${done ? 'resolve' : 'reopen'}`)
      list.setData((x) => withComment(x, c))
    } catch (e) { toastError(e) }
  }
  /** Makes the suggested edit in the editor (an edit like any other, so undo takes it back
   * and everyone sees it live), then marks the suggestion accepted. */
  async function accept (t: Thread) {
    const range = editor ? threadRanges(editor).get(t.id) : undefined
    if (!editor || !range) { toast('The text this suggestion was about is gone; reject it or reply.', 'error'); return }
    const chain = editor.chain().focus()
    const content = suggestedContent(t.first.suggestion ?? '')
    if (content.length) chain.insertContentAt({ from: range.from, to: range.to }, content).run()
    else chain.deleteRange({ from: range.from, to: range.to }).run()
    await decide(t, 'accept')
  }
  async function decide (t: Thread, how: 'accept' | 'reject') {
    try {
      const c = await api.post<DocComment>(`/api/v1/comments/${t.id}/${how}`)
      list.setData((x) => withComment(x, c))
    } catch (e) { toastError(e) }
  }
  function choose (t: Thread) {
    setActive(t.id)
    if (editor && !t.first.resolved_at) revealThread(editor, t.id)
  }

  const selectionEmpty = !editor || editor.state.selection.empty
  return (
    <aside class='comments-panel' aria-label='Comments' data-testid='comments-panel'>
      <div class='comments-head'>
        <h2>Comments</h2>
        {canComment && (
          <span class='row'>
            <button
              class='btn btn-small' data-testid='comment-selection' disabled={selectionEmpty}
              title={selectionEmpty ? 'Select text in the document to comment on it' : 'Comment on the selected text'}
              onMouseDown={(e) => e.preventDefault()} onClick={() => startThread(false)}
            >Comment
            </button>
            <button
              class='btn btn-small' data-testid='suggest-selection' disabled={selectionEmpty}
              title={selectionEmpty ? 'Select text in the document to suggest an edit' : 'Suggest other text for the selection'}
              onMouseDown={(e) => e.preventDefault()} onClick={() => startThread(true)}
            >Suggest
            </button>
          </span>
        )}
      </div>
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data && !list.error && <Spinner />}
      {draft && (
        <div class='comment-thread comment-draft' data-testid='comment-draft'>
          <blockquote class='comment-quote'>{draft.quote}</blockquote>
          {draft.suggest
            ? (
              <SuggestionForm
                quote={draft.quote} onCancel={() => setDraft(null)}
                onSubmit={async (suggestion, text) => { if (await post({ text, suggestion, anchor: draft.anchor, quote: draft.quote })) setDraft(null) }}
              />
              )
            : (
              <CommentForm
                label='Comment' autoFocus onCancel={() => setDraft(null)}
                onSubmit={async (text) => { if (await post({ text, anchor: draft.anchor, quote: draft.quote })) setDraft(null) }}
              />
              )}
        </div>
      )}
      {list.data && !open.length && !draft && (
        <p class='muted small' data-testid='no-comments'>
          {canComment ? 'No open comments. Select text and choose Comment to start a thread.' : 'No open comments.'}
        </p>
      )}
      <ol class='comment-threads'>
        {open.map((t) => (
          <ThreadView
            key={t.id} thread={t} active={t.id === active} lost={!ranges.has(t.id)} canComment={canComment} canEdit={canEdit}
            onChoose={() => choose(t)} onReply={(text) => post({ text, thread: t.id })} onResolve={() => resolve(t, true)}
            onAccept={() => accept(t)} onReject={() => decide(t, 'reject')}
          />
        ))}
      </ol>
      {resolved.length > 0 && (
        <div class='comments-resolved'>
          <button class='btn-link small' aria-expanded={showResolved} onClick={() => setShowResolved(!showResolved)} data-testid='toggle-resolved'>
            {showResolved ? 'Hide' : 'Show'} {resolved.length} resolved {resolved.length === 1 ? 'thread' : 'threads'}
          </button>
          {showResolved && (
            <ol class='comment-threads'>
              {resolved.map((t) => (
                <ThreadView
                  key={t.id} thread={t} active={t.id === active} lost={false} canComment={canComment} canEdit={canEdit}
                  onChoose={() => choose(t)} onReply={(text) => post({ text, thread: t.id })} onResolve={() => resolve(t, false)}
                  onAccept={() => accept(t)} onReject={() => decide(t, 'reject')}
                />
              ))}
            </ol>
          )}
        </div>
      )}
    </aside>
  )
}

/** The list with `c` added, or in place of its older copy. */
function withComment (list: DocComments | undefined, c: DocComment): DocComments {
  const items = list?.items ?? []
  const i = items.findIndex((x) => x.id === c.id)
  const next = i < 0 ? [...items, c] : items.map((x, j) => j === i ? c : x)
  return { can_comment: list?.can_comment ?? false, items: next }
}

function ThreadView ({ thread, active, lost, canComment, canEdit, onChoose, onReply, onResolve, onAccept, onReject }: {
  thread: Thread
  active: boolean
  lost: boolean
  canComment: boolean
  canEdit: boolean
  onChoose: () => void
  onReply: (text: string) => Promise<boolean>
  onResolve: () => void
  onAccept: () => void
  onReject: () => void
}) {
  const [replying, setReplying] = useState(false)
  const resolved = !!thread.first.resolved_at
  const suggestion = thread.first.suggestion
  const isSuggestion = suggestion !== undefined && suggestion !== null
  const mine = thread.first.author.id === me.value?.user.id
  const ref = useRef<HTMLLIElement>(null)
  useEffect(() => { if (active) ref.current?.scrollIntoView({ block: 'nearest' }) }, [active])
  return (
    <li
      ref={ref} class={'comment-thread' + (active ? ' active' : '') + (resolved ? ' resolved' : '')}
      data-testid='comment-thread' data-thread={thread.id} onClick={onChoose}
    >
      {isSuggestion
        ? (
          <div class='suggestion' data-testid='suggestion'>
            <span class='suggestion-label'>{suggestion === '' ? 'Suggests deleting' : 'Suggests replacing'}</span>
            {lost && !resolved && <span class='comment-lost'>Text deleted: </span>}
            <del>{thread.first.quote}</del>
            {suggestion !== '' && <>{' '}<span class='suggestion-label'>with</span> <ins>{suggestion}</ins></>}
          </div>
          )
        : thread.first.quote && (
          <blockquote class='comment-quote' title={lost ? 'The text this thread was about has been deleted' : undefined}>
            {lost && !resolved && <span class='comment-lost'>Text deleted: </span>}{thread.first.quote}
          </blockquote>
        )}
      {[thread.first, ...thread.replies].filter((c) => c.text !== '').map((c) => (
        <div key={c.id} class='comment' data-testid='comment'>
          <div class='comment-by'>
            <Avatar id={c.author.id} name={c.author.name} size={22} />
            <strong>{c.author.name}</strong>
            <time class='muted small' dateTime={new Date(c.created_at).toISOString()}>{formatTime(c.created_at)}</time>
          </div>
          <div class='comment-text msg-text' dangerouslySetInnerHTML={{ __html: renderMarkdown(c.text) }} />
        </div>
      ))}
      {isSuggestion && thread.first.text === '' && (
        <div class='comment-by'>
          <Avatar id={thread.first.author.id} name={thread.first.author.name} size={22} />
          <strong>{thread.first.author.name}</strong>
          <time class='muted small' dateTime={new Date(thread.first.created_at).toISOString()}>{formatTime(thread.first.created_at)}</time>
        </div>
      )}
      {resolved && (
        <p class='muted small' data-testid='resolved-by'>
          {thread.first.outcome === 'accepted' ? 'Accepted' : thread.first.outcome === 'rejected' ? (thread.first.resolved_by?.id === thread.first.author.id ? 'Withdrawn' : 'Rejected') : 'Resolved'} by {thread.first.resolved_by?.name ?? 'someone'} {formatTime(thread.first.resolved_at!)}
        </p>
      )}
      {canComment && (
        <div class='comment-actions' onClick={(e) => e.stopPropagation()}>
          {!resolved && !replying && <button class='btn btn-small' onClick={() => { onChoose(); setReplying(true) }}>Reply</button>}
          {isSuggestion && !resolved
            ? (
              <>
                {canEdit && <button class='btn btn-small btn-primary' onClick={onAccept} disabled={lost} title={lost ? 'The text it was about is gone' : undefined}>Accept</button>}
                {(canEdit || mine) && <button class='btn btn-small' onClick={onReject}>{canEdit ? 'Reject' : 'Withdraw'}</button>}
              </>
              )
            : <button class='btn btn-small' onClick={onResolve}>{resolved ? 'Reopen' : 'Resolve'}</button>}
        </div>
      )}
      {replying && (
        <div onClick={(e) => e.stopPropagation()}>
          <CommentForm label='Reply' autoFocus onCancel={() => setReplying(false)} onSubmit={async (text) => { if (await onReply(text)) setReplying(false) }} />
        </div>
      )}
    </li>
  )
}

function CommentForm ({ label, autoFocus, onSubmit, onCancel }: { label: string, autoFocus?: boolean, onSubmit: (text: string) => Promise<void>, onCancel: () => void }) {
  const [text, setText] = useState('')
  const [busy, setBusy] = useState(false)
  const area = useRef<HTMLTextAreaElement>(null)
  useEffect(() => { if (autoFocus) area.current?.focus() }, [])
  async function submit (e?: Event) {
    e?.preventDefault()
    if (!text.trim() || busy) return
    setBusy(true)
    try { await onSubmit(text.trim()) } finally { setBusy(false) }
  }
  return (
    <form class='comment-form' onSubmit={submit}>
      <label class='sr-only' for={`comment-${label}`}>{label}</label>
      <textarea
        id={`comment-${label}`} ref={area} rows={3} value={text} placeholder={`${label}… (@name to mention)`}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submit()
          else if (e.key === 'Escape') onCancel()
        }}
      />
      <div class='row'>
        <button class='btn btn-primary btn-small' disabled={busy || !text.trim()}>{label}</button>
        <button type='button' class='btn btn-small' onClick={onCancel}>Cancel</button>
      </div>
    </form>
  )
}

/** A suggested text as editor content: its lines joined by line breaks (empty: nothing). */
export function suggestedContent (text: string): Array<{ type: string, text?: string }> {
  return text.split('\n').flatMap((line, i) => [
    ...(i > 0 ? [{ type: 'hardBreak' }] : []),
    ...(line ? [{ type: 'text', text: line }] : [])
  ])
}

function SuggestionForm ({ quote, onSubmit, onCancel }: { quote: string, onSubmit: (suggestion: string, note: string) => Promise<void>, onCancel: () => void }) {
  const [suggestion, setSuggestion] = useState(quote)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const area = useRef<HTMLTextAreaElement>(null)
  useEffect(() => { area.current?.focus(); area.current?.select() }, [])
  const unchanged = suggestion === quote
  async function submit (e?: Event) {
    e?.preventDefault()
    if (unchanged || busy) return
    setBusy(true)
    try { await onSubmit(suggestion, note.trim()) } finally { setBusy(false) }
  }
  return (
    <form class='comment-form' onSubmit={submit} aria-label='Suggest an edit'>
      <label for='suggestion-text' class='small'>Replace with (empty: delete it)</label>
      <textarea
        id='suggestion-text' ref={area} rows={3} value={suggestion}
        onInput={(e) => setSuggestion(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submit()
          else if (e.key === 'Escape') onCancel()
        }}
      />
      <label for='suggestion-note' class='small'>Why (optional)</label>
      <input id='suggestion-note' type='text' value={note} maxLength={10000} onInput={(e) => setNote(e.currentTarget.value)} />
      <div class='row'>
        <button class='btn btn-primary btn-small' disabled={busy || unchanged}>Suggest</button>
        <button type='button' class='btn btn-small' onClick={onCancel}>Cancel</button>
      </div>
    </form>
  )
}

/** What of the editor's state the panel shows: whether something is selected, and which
 * threads have marked text in which order. */
function panelView (editor: Editor): string {
  const marked = [...threadRanges(editor)].sort((a, b) => a[1].from - b[1].from).map(([id]) => id)
  return `${editor.state.selection.empty}|${marked.join()}`
}

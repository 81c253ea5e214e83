// Comment threads anchored to ranges of a collaborative document. An anchor is two Yjs relative
// positions (made from the selection, sent to the server as base64), so it stays on its text
// while anyone edits around it. The editor highlights each open thread's range; clicking one
// makes its thread active (the panel shows it), and the active thread's range is marked.
//
// Ranges are found from the relative positions whenever the Yjs binding changed the document
// (a remote edit, a restore) or the threads changed, and are carried through local edits by
// ProseMirror's own mapping — the binding's position mapping is only brought up to date after
// a local edit has been drawn.
import { Extension } from '@tiptap/core'
import type { Editor } from '@tiptap/core'
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'

/** A thread's anchor as the API carries it. */
export interface Anchor { from: string, to: string }

/** A thread the editor marks. */
export interface AnchoredThread { id: string, anchor: Anchor }

/** Where a thread's text is now; absent when its text was deleted. */
export type Ranges = Map<string, { from: number, to: number }>

interface Decoded { id: string, from: Y.RelativePosition, to: Y.RelativePosition }

interface PluginState {
  threads: Decoded[]
  active: string | null
  ranges: Ranges
  decorations: DecorationSet
}

interface Meta { threads?: AnchoredThread[], active?: string | null }

export const commentsKey = new PluginKey<PluginState>('commentAnchors')

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

function decode (t: AnchoredThread): Decoded | null {
  try {
    return { id: t.id, from: Y.decodeRelativePosition(fromBase64(t.anchor.from)), to: Y.decodeRelativePosition(fromBase64(t.anchor.to)) }
  } catch {
    return null
  }
}

function binding (state: EditorState): any | null {
  const sync = ySyncPluginKey.getState(state) as any
  return sync?.binding?.mapping ? sync.binding : null
}

/** The threads' ranges from their relative positions, against the binding's document. */
function resolve (state: EditorState, threads: Decoded[]): Ranges {
  const ranges: Ranges = new Map()
  const b = binding(state)
  if (!b) return ranges
  const size = state.doc.content.size
  for (const t of threads) {
    const from = relativePositionToAbsolutePosition(b.doc, b.type, t.from, b.mapping)
    const to = relativePositionToAbsolutePosition(b.doc, b.type, t.to, b.mapping)
    if (from == null || to == null || to <= from || to > size) continue
    ranges.set(t.id, { from, to })
  }
  return ranges
}

function draw (state: EditorState, ranges: Ranges, active: string | null): DecorationSet {
  const decorations: Decoration[] = []
  for (const [id, r] of ranges) {
    decorations.push(Decoration.inline(r.from, r.to, {
      class: 'comment-anchor' + (id === active ? ' comment-anchor-active' : ''),
      'data-thread': id
    }))
  }
  return DecorationSet.create(state.doc, decorations)
}

function mapRanges (ranges: Ranges, tr: Transaction): Ranges {
  const mapped: Ranges = new Map()
  for (const [id, r] of ranges) {
    const from = tr.mapping.map(r.from, 1)
    const to = tr.mapping.map(r.to, -1)
    if (to > from) mapped.set(id, { from, to })
  }
  return mapped
}

export interface CommentAnchorsOptions {
  /** A highlighted range was clicked. */
  onActivate: (thread: string) => void
}

export const CommentAnchors = Extension.create<CommentAnchorsOptions>({
  name: 'commentAnchors',
  addOptions () {
    return { onActivate: () => {} }
  },
  addProseMirrorPlugins () {
    const options = this.options
    return [new Plugin<PluginState>({
      key: commentsKey,
      state: {
        init: (_config, state) => ({ threads: [], active: null, ranges: new Map(), decorations: DecorationSet.create(state.doc, []) }),
        apply (tr, prev, _old, state) {
          const meta = tr.getMeta(commentsKey) as Meta | undefined
          const sync = tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined
          const threads = meta?.threads ? meta.threads.map(decode).filter((t): t is Decoded => t !== null) : prev.threads
          const active = meta && 'active' in meta ? meta.active ?? null : prev.active
          let ranges = prev.ranges
          if (meta?.threads || sync?.isChangeOrigin) ranges = resolve(state, threads)
          else if (tr.docChanged) ranges = mapRanges(prev.ranges, tr)
          else if (active === prev.active) return prev
          return { threads, active, ranges, decorations: draw(state, ranges, active) }
        }
      },
      props: {
        decorations: (state) => commentsKey.getState(state)?.decorations,
        handleClick (view, pos) {
          const ranges = commentsKey.getState(view.state)?.ranges
          if (!ranges) return false
          // The innermost (shortest) range under the click wins.
          let best: { id: string, length: number } | null = null
          for (const [id, r] of ranges) {
            if (pos >= r.from && pos <= r.to && (!best || r.to - r.from < best.length)) best = { id, length: r.to - r.from }
          }
          if (best) options.onActivate(best.id)
          return false
        }
      }
    })]
  }
})

/** Marks `threads` in the editor (their ranges are found again). */
export function showThreads (editor: Editor, threads: AnchoredThread[]): void {
  if (editor.isDestroyed) return
  editor.view.dispatch(editor.state.tr.setMeta(commentsKey, { threads } satisfies Meta))
}

/** Marks the active thread's range (null: none). */
export function setActiveThread (editor: Editor, active: string | null): void {
  if (editor.isDestroyed) return
  editor.view.dispatch(editor.state.tr.setMeta(commentsKey, { active } satisfies Meta))
}

/** Where each thread's text is now. */
export function threadRanges (editor: Editor): Ranges {
  return commentsKey.getState(editor.state)?.ranges ?? new Map()
}

/** The anchor and text of the current selection, or null when nothing is selected. */
export function anchorOfSelection (editor: Editor): { anchor: Anchor, quote: string } | null {
  const { from, to, empty } = editor.state.selection
  const b = binding(editor.state)
  if (empty || !b) return null
  const quote = editor.state.doc.textBetween(from, to, ' ').trim()
  if (!quote) return null
  // The start sticks to the range's first character and the end to its last (the binding's
  // positions stick to the character before them), so text typed right before or right after
  // the range stays out of it.
  const resolves = (rel: Y.RelativePosition, pos: number) => relativePositionToAbsolutePosition(b.doc, b.type, rel, b.mapping) === pos
  let start = absolutePositionToRelativePosition(from + 1, b.type, b.mapping) as Y.RelativePosition
  start.assoc = 0
  if (!resolves(start, from)) start = absolutePositionToRelativePosition(from, b.type, b.mapping)
  const end = absolutePositionToRelativePosition(to, b.type, b.mapping) as Y.RelativePosition
  return {
    anchor: { from: toBase64(Y.encodeRelativePosition(start)), to: toBase64(Y.encodeRelativePosition(end)) },
    quote: quote.length > 500 ? quote.slice(0, 499) + '…' : quote
  }
}

/** Scrolls the thread's text into view and selects nothing. */
export function revealThread (editor: Editor, thread: string): boolean {
  const r = threadRanges(editor).get(thread)
  if (!r) return false
  const dom = editor.view.domAtPos(r.from)
  const el = (dom.node instanceof Element ? dom.node : dom.node.parentElement)
  el?.scrollIntoView({ block: 'center', behavior: 'smooth' })
  return true
}

// A project's documents as a page tree: nested lists that expand and collapse, rows dragged
// to reorder (drop on a row's upper or lower quarter) or to nest (drop on its middle), and
// Alt+arrow keys on a page's link to move it without a pointer (up/down among its siblings,
// right into the page above, left out of its parent), each move announced. A move shows at
// once and is sent as `PATCH /api/v1/docs/{doc}` `{parent, after}`; a refused one goes back.
import { useLayoutEffect, useRef, useState } from 'preact/hooks'
import type { DragDropManager } from '@dnd-kit/dom'
import { api } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { Doc } from '../../lib/types'
import { formatTime } from '../../lib/text'
import { buildTree, childrenOf, describePlace, isMoveKey, moveForDrop, moveForKey, placeLocally, type DocNode, type MoveBody } from './tree'
import { useRowDnd, useTreeDnd, type TreeDrop } from './treeDnd'
import './tree.css'

const HELP_ID = 'doc-tree-help'

export interface DocTreeProps {
  org: string
  project: string
  docs: Doc[]
  writable: boolean
  /** The server's answer to a move (the moved page as it is now). */
  onMoved: (doc: Doc) => void
  onRename: (doc: Doc) => void
  onTrash: (doc: Doc) => void
  onNewSubPage: (parent: Doc) => void
}

export function DocTree (p: DocTreeProps) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set())
  const [pending, setPending] = useState<{ id: string, move: MoveBody } | null>(null)
  const [hover, setHover] = useState<TreeDrop | null>(null)
  const [dragging, setDragging] = useState<string | null>(null)
  const [said, setSaid] = useState('')
  const focusAfter = useRef<string | null>(null)
  const rootRef = useRef<HTMLUListElement>(null)
  const docsRef = useRef(p.docs)
  docsRef.current = p.docs
  const announce = (text: string) => setSaid((s) => s === text ? text + '\u00a0' : text)
  const shown = pending ? placeLocally(p.docs, pending.id, pending.move) : p.docs

  async function move (id: string, body: MoveBody, spoken: boolean) {
    const docs = docsRef.current
    const d = docs.find((x) => x.id === id)
    if (!d) return
    if (body.parent) setCollapsed((c) => { const n = new Set(c); n.delete(body.parent!); return n })
    setPending({ id, move: body })
    if (spoken) announce(`Moved ${d.title}: ${describePlace(placeLocally(docs, id, body), id)}.`)
    try {
      const answer = await api.patch<Doc>(`/api/v1/docs/${id}`, body)
      p.onMoved(answer)
    } catch (e) {
      toastError(e)
      if (spoken) announce(`${d.title} could not move; it is back where it was.`)
    } finally {
      setPending((x) => x?.id === id ? null : x)
    }
  }

  const manager = useTreeDnd({
    onStart: (id) => { setDragging(id); setHover(null) },
    onHover: (_id, t) => setHover(t),
    onDrop: (id, t) => {
      setDragging(null)
      setHover(null)
      if (!t) return
      const body = moveForDrop(docsRef.current, id, t.id, t.zone)
      if (body) void move(id, body, false)
    }
  })

  // A keyboard move re-creates the row in its new place: keep the focus on its link.
  useLayoutEffect(() => {
    const id = focusAfter.current
    const el = id ? rootRef.current?.querySelector<HTMLElement>(`[data-doc-link="${id}"]`) : null
    if (!el) return
    focusAfter.current = null
    el.focus()
  })

  function onLinkKey (d: Doc, e: KeyboardEvent) {
    if (!e.altKey || !isMoveKey(e.key) || !p.writable) return
    e.preventDefault()
    const body = moveForKey(shown, d.id, e.key)
    focusAfter.current = d.id
    if (!body) { announce(`${d.title} cannot go further that way.`); return }
    void move(d.id, body, true)
  }

  const toggle = (id: string) => setCollapsed((c) => { const n = new Set(c); if (n.has(id)) n.delete(id); else n.add(id); return n })
  const rows = (nodes: DocNode[], depth: number) => nodes.map((n) => (
    <TreeRow
      key={n.doc.id} node={n} depth={depth} tree={p} manager={manager}
      open={!collapsed.has(n.doc.id)} onToggle={toggle}
      drop={hover && hover.id === n.doc.id && dragging !== n.doc.id ? hover.zone : null}
      dragged={dragging === n.doc.id}
      onLinkKey={onLinkKey} renderChildren={rows}
    />
  ))
  return (
    <>
      {p.writable && <p id={HELP_ID} class='sr-only'>Alt and the arrow keys move the page: up and down among its siblings, right into the page above, left out of its parent.</p>}
      <div class='sr-only' aria-live='assertive' data-testid='doc-tree-announcer'>{said}</div>
      <ul class='list doc-tree' data-testid='doc-list' ref={rootRef}>
        {rows(buildTree(shown), 0)}
      </ul>
    </>
  )
}

function TreeRow ({ node, depth, tree, manager, open, onToggle, drop, dragged, onLinkKey, renderChildren }: {
  node: DocNode
  depth: number
  tree: DocTreeProps
  manager: DragDropManager
  open: boolean
  onToggle: (id: string) => void
  drop: TreeDrop['zone'] | null
  dragged: boolean
  onLinkKey: (d: Doc, e: KeyboardEvent) => void
  renderChildren: (nodes: DocNode[], depth: number) => preact.JSX.Element[]
}) {
  const d = node.doc
  const ref = useRef<HTMLDivElement>(null)
  useRowDnd(manager, d.id, ref, !tree.writable)
  const kids = node.children.length
  return (
    <li class='doc-tree-item' data-testid='doc-tree-item' data-doc={d.id}>
      <div
        ref={ref}
        class={'list-row doc-tree-row' + (tree.writable ? ' movable' : '') + (drop ? ` drop-${drop}` : '') + (dragged ? ' dragged' : '')}
        style={{ paddingLeft: `${12 + depth * 22}px` }}
        data-testid='doc-row'
      >
        {kids > 0
          ? <button class='btn-icon doc-tree-toggle' aria-expanded={open} aria-label={`${open ? 'Collapse' : 'Expand'} ${d.title}`} onClick={() => onToggle(d.id)}><span aria-hidden='true'>{open ? '▾' : '▸'}</span></button>
          : <span class='doc-tree-spacer' aria-hidden='true' />}
        <a
          class='grow' href={`/o/${tree.org}/p/${tree.project}/docs/${d.id}`} draggable={false}
          data-doc-link={d.id} aria-describedby={tree.writable ? HELP_ID : undefined}
          onKeyDown={(e) => onLinkKey(d, e)}
        >{d.title}
        </a>
        {kids > 0 && !open && <span class='muted small'>{kids} {kids === 1 ? 'page' : 'pages'}</span>}
        <span class='muted small'>{formatTime(d.updated_at)}</span>
        {tree.writable && (
          <>
            <button class='btn btn-small' onClick={() => tree.onNewSubPage(d)} aria-label={`New sub-page of ${d.title}`}>New sub-page</button>
            <button class='btn btn-small' onClick={() => tree.onRename(d)} aria-label={`Rename ${d.title}`}>Rename</button>
            <button class='btn btn-small btn-danger' onClick={() => tree.onTrash(d)} aria-label={`Move ${d.title} to the trash`}>Trash</button>
          </>
        )}
      </div>
      {kids > 0 && open && <ul class='doc-tree-group'>{renderChildren(node.children, depth + 1)}</ul>}
    </li>
  )
}

/** The pages under `parent` (for the caller's "New sub-page": the new page goes last there). */
export function lastChildOf (docs: Doc[], parent: string): string | null {
  const kids = childrenOf(docs, parent)
  return kids.length ? kids[kids.length - 1].id : null
}

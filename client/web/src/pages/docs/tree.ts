// The page tree of a project's documents, built from the flat list the server sends (each
// document names its `parent` and its `position` among its siblings). Siblings sort as the
// server sorts them: position (code unit order), then creation, then id. Pure, so the rules of
// keyboard moves are tested without a browser.
import type { Doc } from '../../lib/types'

export interface DocNode { doc: Doc, children: DocNode[] }

/** What `PATCH /api/v1/docs/{doc}` takes to move a page: its new parent and the sibling it goes after (null: first). */
export interface MoveBody { parent: string | null, after: string | null }

function bySiblingOrder (a: Doc, b: Doc): number {
  if (a.position !== b.position) return a.position < b.position ? -1 : 1
  if (a.created_at !== b.created_at) return a.created_at - b.created_at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** The pages under `parent` (null: the top level), in order. */
export function childrenOf (docs: Doc[], parent: string | null): Doc[] {
  return docs.filter((d) => (d.parent ?? null) === parent).sort(bySiblingOrder)
}

/** The whole tree. A page whose parent is not in the list shows at the top level. */
export function buildTree (docs: Doc[]): DocNode[] {
  const ids = new Set(docs.map((d) => d.id))
  const rooted = docs.map((d) => d.parent && ids.has(d.parent) ? d : { ...d, parent: null })
  const build = (parent: string | null, seen: Set<string>): DocNode[] =>
    childrenOf(rooted, parent).filter((d) => !seen.has(d.id)).map((doc) => ({ doc, children: build(doc.id, new Set([...seen, doc.id])) }))
  return build(null, new Set())
}

/** Whether `id` is `ancestor` or sits below it. */
export function isWithin (docs: Doc[], id: string, ancestor: string): boolean {
  const byId = new Map(docs.map((d) => [d.id, d]))
  let at: string | null | undefined = id
  for (let i = 0; at && i <= docs.length; i++) {
    if (at === ancestor) return true
    at = byId.get(at)?.parent
  }
  return false
}

/** Where a page dropped on `target` goes: before or after it among its siblings, or last inside it. */
export type DropZone = 'before' | 'after' | 'inside'

/** The move a drop means, or null when it is no move (onto itself or its own pages). */
export function moveForDrop (docs: Doc[], id: string, target: string, zone: DropZone): MoveBody | null {
  if (isWithin(docs, target, id)) return null
  const t = docs.find((d) => d.id === target)
  if (!t) return null
  if (zone === 'inside') {
    const kids = childrenOf(docs, target).filter((d) => d.id !== id)
    return { parent: target, after: kids.length ? kids[kids.length - 1].id : null }
  }
  const parent = t.parent ?? null
  const siblings = childrenOf(docs, parent).filter((d) => d.id !== id)
  const i = siblings.findIndex((d) => d.id === target)
  if (zone === 'after') return { parent, after: target }
  return { parent, after: i > 0 ? siblings[i - 1].id : null }
}

export type MoveKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight'

export function isMoveKey (key: string): key is MoveKey {
  return key === 'ArrowUp' || key === 'ArrowDown' || key === 'ArrowLeft' || key === 'ArrowRight'
}

/** The move Alt+`key` makes: up and down swap with the neighbouring sibling; right nests the
 * page as the last one under the sibling above it; left takes it out, right after its parent.
 * Null when it cannot go further that way. */
export function moveForKey (docs: Doc[], id: string, key: MoveKey): MoveBody | null {
  const d = docs.find((x) => x.id === id)
  if (!d) return null
  const parent = d.parent ?? null
  const siblings = childrenOf(docs, parent)
  const i = siblings.findIndex((x) => x.id === id)
  if (key === 'ArrowUp') {
    if (i <= 0) return null
    return { parent, after: i >= 2 ? siblings[i - 2].id : null }
  }
  if (key === 'ArrowDown') {
    if (i < 0 || i >= siblings.length - 1) return null
    return { parent, after: siblings[i + 1].id }
  }
  if (key === 'ArrowRight') {
    if (i <= 0) return null
    const into = siblings[i - 1].id
    const kids = childrenOf(docs, into)
    return { parent: into, after: kids.length ? kids[kids.length - 1].id : null }
  }
  if (!parent) return null
  const p = docs.find((x) => x.id === parent)
  return { parent: p?.parent ?? null, after: parent }
}

/** A sentence about where a page is ("Inside Guide, position 2 of 3" / "Top level, position 1 of 4"). */
export function describePlace (docs: Doc[], id: string): string {
  const d = docs.find((x) => x.id === id)
  if (!d) return ''
  const parent = d.parent ? docs.find((x) => x.id === d.parent) : undefined
  const siblings = childrenOf(docs, d.parent ?? null)
  const where = parent ? `Inside ${parent.title}` : 'Top level'
  return `${where}, position ${siblings.findIndex((x) => x.id === id) + 1} of ${siblings.length}`
}

/** The list with a page placed as the server will place it, for showing a move before the answer:
 * a position between its new neighbours' that sorts right (not the server's key). */
export function placeLocally (docs: Doc[], id: string, move: MoveBody): Doc[] {
  const siblings = childrenOf(docs, move.parent).filter((d) => d.id !== id)
  const i = move.after === null ? 0 : siblings.findIndex((d) => d.id === move.after) + 1
  const renumbered = new Map<string, string>()
  const order = [...siblings.slice(0, i).map((d) => d.id), id, ...siblings.slice(i).map((d) => d.id)]
  order.forEach((sid, n) => renumbered.set(sid, `~${String(n).padStart(6, '0')}`))
  return docs.map((d) => {
    const position = renumbered.get(d.id)
    if (position === undefined) return d
    return d.id === id ? { ...d, parent: move.parent, position } : { ...d, position }
  })
}

/** The list with the server's placements applied (from an answer or a `doc.moved` event). */
export function applyPlacements (docs: Doc[], placements: Array<{ id: string, parent?: string | null, position: string }>): Doc[] {
  const by = new Map(placements.map((p) => [p.id, p]))
  return docs.map((d) => {
    const p = by.get(d.id)
    return p ? { ...d, parent: p.parent ?? null, position: p.position } : d
  })
}

import { describe, expect, it } from 'vitest'
import type { Doc } from '../../lib/types'
import { applyPlacements, buildTree, describePlace, moveForDrop, moveForKey, placeLocally } from './tree'

const doc = (id: string, parent: string | null, position: string, created = 0): Doc => ({
  id, parent, position, title: id.toUpperCase(), org_id: 'o', project_id: 'p', created_by: 'u', created_at: created, updated_at: 0
})

/** The tree as indented titles. */
function outline (docs: Doc[]): string[] {
  const out: string[] = []
  const walk = (nodes: ReturnType<typeof buildTree>, depth: number) => {
    for (const n of nodes) { out.push('  '.repeat(depth) + n.doc.title); walk(n.children, depth + 1) }
  }
  walk(buildTree(docs), 0)
  return out
}

// a0 < a1 < a2 at the top; b under a.
const docs = [doc('a', null, 'a0'), doc('c', null, 'a2'), doc('b', 'a', 'a0'), doc('d', null, 'a1')]

describe('page tree', () => {
  it('sorts siblings by position, then creation, and shows orphans at the top', () => {
    expect(outline(docs)).toEqual(['A', '  B', 'D', 'C'])
    expect(outline([doc('x', null, '', 2), doc('y', null, '', 1), doc('z', 'gone', 'a0')])).toEqual(['Y', 'X', 'Z'])
  })

  it('turns a drop into a move, and refuses one into its own pages', () => {
    expect(moveForDrop(docs, 'c', 'a', 'inside')).toEqual({ parent: 'a', after: 'b' })
    expect(moveForDrop(docs, 'c', 'a', 'before')).toEqual({ parent: null, after: null })
    expect(moveForDrop(docs, 'c', 'd', 'before')).toEqual({ parent: null, after: 'a' })
    expect(moveForDrop(docs, 'c', 'b', 'after')).toEqual({ parent: 'a', after: 'b' })
    expect(moveForDrop(docs, 'a', 'b', 'inside')).toBeNull()
    expect(moveForDrop(docs, 'a', 'a', 'after')).toBeNull()
  })

  it('moves with Alt+arrow keys: among siblings, into the page above, out of the parent', () => {
    expect(moveForKey(docs, 'd', 'ArrowUp')).toEqual({ parent: null, after: null })
    expect(moveForKey(docs, 'd', 'ArrowDown')).toEqual({ parent: null, after: 'c' })
    expect(moveForKey(docs, 'c', 'ArrowDown')).toBeNull()
    expect(moveForKey(docs, 'a', 'ArrowUp')).toBeNull()
    expect(moveForKey(docs, 'd', 'ArrowRight')).toEqual({ parent: 'a', after: 'b' })
    expect(moveForKey(docs, 'b', 'ArrowLeft')).toEqual({ parent: null, after: 'a' })
    expect(moveForKey(docs, 'a', 'ArrowLeft')).toBeNull()
  })

  it('shows a move before the answer, then takes the server placements', () => {
    const moved = placeLocally(docs, 'c', { parent: 'a', after: null })
    expect(outline(moved)).toEqual(['A', '  C', '  B', 'D'])
    expect(describePlace(moved, 'c')).toBe('Inside A, position 1 of 2')
    const answered = applyPlacements(docs, [{ id: 'c', parent: 'a', position: 'Zz' }])
    expect(outline(answered)).toEqual(['A', '  C', '  B', 'D'])
    expect(describePlace(answered, 'd')).toBe('Top level, position 2 of 2')
  })
})

import { describe, it, expect } from 'vitest'
import type { Board, TaskCard } from '../../lib/types'
import { applyCard, cellCards, lanesOf, matchesFilter, moveLocally, neighbours, placeForDrop, placeOf, removeCard, rollback, samePlace, wipState, wouldExceed } from './boardState'
import { nextPlace, describePlace } from './keyboardMove'

export function card (id: string, status: string, rank: string, extra: Partial<TaskCard> = {}): TaskCard {
  return {
    id, key: `ENG-${id}`, title: `Task ${id}`, status_id: status, rank, priority: 'none', assignees: [], labels: [], due: null, estimate: null,
    milestone: null, parent: null, blocked: false, subtasks_done: 0, subtasks_total: 0, checklist_done: 0, checklist_total: 0, closed: false, updated_at: 0, ...extra
  }
}

function board (extra: Partial<Board> = {}): Board {
  return {
    id: 'b', org_id: 'o', project_id: 'p', project_key: 'ENG', name: 'Board', filter: {}, swimlanes: null, created_at: 0, updated_at: 0,
    columns: [
      { id: 'todo', name: 'To do', status_id: 's-todo', category: 'todo', wip_limit: null, count: 3, tasks: [card('1', 's-todo', 'a'), card('2', 's-todo', 'b'), card('3', 's-todo', 'c')] },
      { id: 'doing', name: 'In progress', status_id: 's-doing', category: 'in_progress', wip_limit: 2, count: 1, tasks: [card('4', 's-doing', 'm')] },
      { id: 'done', name: 'Done', status_id: 's-done', category: 'done', wip_limit: null, count: 0, tasks: [] }
    ],
    ...extra
  }
}

const ids = (b: Board, column: string) => b.columns.find((c) => c.id === column)!.tasks.map((t) => t.id)
const count = (b: Board, column: string) => b.columns.find((c) => c.id === column)!.count

describe('optimistic moves and rollback', () => {
  it('moves within a column and names the neighbours for the server', () => {
    const b = board()
    expect(neighbours(b, '3', { column: 'todo', lane: null, index: 0 })).toEqual({ before: '1' })
    const moved = moveLocally(b, '3', { column: 'todo', lane: null, index: 0 })
    expect(ids(moved, 'todo')).toEqual(['3', '1', '2'])
    expect(count(moved, 'todo')).toBe(3)
    expect(neighbours(b, '1', { column: 'todo', lane: null, index: 1 })).toEqual({ after: '2', before: '3' })
    expect(ids(moveLocally(b, '1', { column: 'todo', lane: null, index: 1 }), 'todo')).toEqual(['2', '1', '3'])
  })

  it('moves across columns with counts, and a refused move puts the card back by its rank', () => {
    const b = board()
    const original = b.columns[0].tasks[1]
    expect(neighbours(b, '2', { column: 'doing', lane: null, index: 1 })).toEqual({ after: '4' })
    const moved = moveLocally(b, '2', { column: 'doing', lane: null, index: 1 })
    expect(ids(moved, 'todo')).toEqual(['1', '3'])
    expect(ids(moved, 'doing')).toEqual(['4', '2'])
    expect(moved.columns[1].tasks[1].status_id).toBe('s-doing')
    expect([count(moved, 'todo'), count(moved, 'doing')]).toEqual([2, 2])
    // Someone else's card arrives meanwhile; the rollback keeps it.
    const withOther = applyCard(moved, card('9', 's-todo', 'bb'), null)
    const back = rollback(withOther, original)
    expect(ids(back, 'todo')).toEqual(['1', '2', '9', '3'])
    expect(ids(back, 'doing')).toEqual(['4'])
    expect([count(back, 'todo'), count(back, 'doing')]).toEqual([4, 1])
    // The input boards are never changed.
    expect(ids(b, 'todo')).toEqual(['1', '2', '3'])
  })

  it('places the server\'s answer by rank, whatever the optimistic place was', () => {
    const moved = moveLocally(board(), '3', { column: 'todo', lane: null, index: 0 })
    const settled = applyCard(moved, card('3', 's-todo', 'a5'))
    expect(ids(settled, 'todo')).toEqual(['1', '3', '2'])
    expect(count(settled, 'todo')).toBe(3)
  })
})

describe('other people\'s changes', () => {
  it('applies moves, creations and deletions with counts', () => {
    let b = board()
    b = applyCard(b, card('1', 's-done', 'k'), 's-todo')
    expect(ids(b, 'todo')).toEqual(['2', '3'])
    expect(ids(b, 'done')).toEqual(['1'])
    expect([count(b, 'todo'), count(b, 'done')]).toEqual([2, 1])
    // The same event twice (our own move's echo) changes nothing more.
    expect(applyCard(b, card('1', 's-done', 'k'), 's-todo')).toEqual(b)
    b = applyCard(b, card('7', 's-doing', 'a'), null)
    expect(ids(b, 'doing')).toEqual(['7', '4'])
    expect(count(b, 'doing')).toBe(2)
    b = removeCard(b, '4')
    expect(ids(b, 'doing')).toEqual(['7'])
    expect(count(b, 'doing')).toBe(1)
  })

  it('counts a move from a status the board does not show, and leaves filtered-out cards off', () => {
    let b = board({ filter: { labels: ['web'] } })
    b = applyCard(b, card('8', 's-doing', 'z', { labels: ['api'] }), 's-other')
    expect(ids(b, 'doing')).toEqual(['4'])
    expect(count(b, 'doing')).toBe(2) // WIP counts every open card of the status
    b = applyCard(b, card('8', 's-doing', 'z', { labels: ['web'] }), null)
    expect(ids(b, 'doing')).toEqual(['4', '8'])
  })

  it('matches the board filter like the server', () => {
    const c = card('5', 's', 'a', { assignees: ['u1'], labels: ['web'], priority: 'high', due: '2026-12-10', title: 'Fix the login page' })
    expect(matchesFilter(c, { assignees: ['u1'], labels: ['web', 'api'], priorities: ['high'] })).toBe(true)
    expect(matchesFilter(c, { assignees: ['none'] })).toBe(false)
    expect(matchesFilter(card('6', 's', 'a'), { assignees: ['none'] })).toBe(true)
    expect(matchesFilter(c, { due_before: '2026-12-09' })).toBe(false)
    expect(matchesFilter(c, { due_before: '2026-12-10' })).toBe(true)
    expect(matchesFilter(c, { text: 'login eng-5' })).toBe(true)
    expect(matchesFilter(c, { text: 'logout' })).toBe(false)
  })
})

describe('WIP limits', () => {
  it('tells under, at and over, and whether a move would pass the limit', () => {
    const b = board()
    const doing = b.columns[1]
    expect(wipState(doing)).toBe('under')
    expect(wipState({ ...doing, count: 2 })).toBe('at')
    expect(wipState({ ...doing, count: 3 })).toBe('over')
    expect(wipState(b.columns[0])).toBe('none')
    expect(wouldExceed({ ...doing, count: 2 }, 'todo')).toBe(true)
    expect(wouldExceed({ ...doing, count: 2 }, 'doing')).toBe(false)
    expect(wouldExceed(doing, 'todo')).toBe(false)
  })
})

describe('swimlanes', () => {
  const lanes = () => board({
    swimlanes: 'assignee',
    columns: [
      { id: 'todo', name: 'To do', status_id: 's-todo', category: 'todo', wip_limit: null, count: 3, tasks: [card('1', 's-todo', 'a', { assignees: ['ann'] }), card('2', 's-todo', 'b'), card('3', 's-todo', 'c', { assignees: ['ann'] })] },
      { id: 'doing', name: 'In progress', status_id: 's-doing', category: 'in_progress', wip_limit: null, count: 1, tasks: [card('4', 's-doing', 'm', { assignees: ['bob'] })] }
    ]
  })

  it('groups cards into lanes, unassigned last', () => {
    const b = lanes()
    expect(lanesOf(b)).toEqual(['ann', 'bob', 'none'])
    expect(cellCards(b.columns[0], 'ann', 'assignee').map((t) => t.id)).toEqual(['1', '3'])
    expect(placeOf(b, '3')).toEqual({ column: 'todo', lane: 'ann', index: 1 })
    expect(lanesOf(board({ swimlanes: 'priority' }))).toEqual(['urgent', 'high', 'medium', 'low', 'none'])
  })

  it('a move into another lane changes the lane\'s field; neighbours are the lane\'s cards', () => {
    const b = lanes()
    expect(neighbours(b, '2', { column: 'todo', lane: 'ann', index: 1 })).toEqual({ after: '1', before: '3' })
    const moved = moveLocally(b, '2', { column: 'todo', lane: 'ann', index: 1 })
    expect(ids(moved, 'todo')).toEqual(['1', '2', '3'])
    expect(moved.columns[0].tasks[1].assignees).toEqual(['ann'])
    const toBob = moveLocally(b, '1', { column: 'doing', lane: 'bob', index: 0 })
    expect(ids(toBob, 'doing')).toEqual(['1', '4'])
    expect(toBob.columns[1].tasks[0].assignees).toEqual(['bob'])
    // To the top of the unassigned lane: before its first card, wherever that sits.
    const toNone = moveLocally(b, '4', { column: 'todo', lane: 'none', index: 0 })
    expect(ids(toNone, 'todo')).toEqual(['1', '4', '2', '3'])
    // Into an empty lane of a column: the column's end.
    const toEmpty = moveLocally(b, '2', { column: 'doing', lane: 'none', index: 0 })
    expect(ids(toEmpty, 'doing')).toEqual(['4', '2'])
    expect(toNone.columns[0].tasks.find((t) => t.id === '4')!.assignees).toEqual([])
  })
})

describe('keyboard moves', () => {
  it('moves up and down within a column, left and right across columns', () => {
    const b = board()
    const from = placeOf(b, '2')!
    expect(from).toEqual({ column: 'todo', lane: null, index: 1 })
    expect(nextPlace(b, '2', from, 'ArrowUp')).toEqual({ column: 'todo', lane: null, index: 0 })
    expect(nextPlace(b, '2', from, 'ArrowDown')).toEqual({ column: 'todo', lane: null, index: 2 })
    expect(nextPlace(b, '2', { ...from, index: 2 }, 'ArrowDown')).toBeNull()
    expect(nextPlace(b, '2', { ...from, index: 0 }, 'ArrowUp')).toBeNull()
    expect(nextPlace(b, '2', from, 'ArrowLeft')).toBeNull()
    // Into a column of one card: at most after it.
    expect(nextPlace(b, '2', from, 'ArrowRight')).toEqual({ column: 'doing', lane: null, index: 1 })
    expect(nextPlace(b, '2', { column: 'doing', lane: null, index: 1 }, 'ArrowRight')).toEqual({ column: 'done', lane: null, index: 0 })
    expect(nextPlace(b, '2', { column: 'done', lane: null, index: 0 }, 'ArrowRight')).toBeNull()
    expect(describePlace(b, '2', { column: 'doing', lane: null, index: 1 }, (l) => l)).toBe('In progress, position 2 of 2')
  })

  it('crosses into the next lane at the edge of a cell', () => {
    const b = board({
      swimlanes: 'priority',
      columns: [{ id: 'todo', name: 'To do', status_id: 's', category: 'todo', wip_limit: null, count: 2, tasks: [card('1', 's', 'a', { priority: 'high' }), card('2', 's', 'b', { priority: 'low' })] }]
    })
    const from = placeOf(b, '1')!
    expect(from).toEqual({ column: 'todo', lane: 'high', index: 0 })
    expect(nextPlace(b, '1', from, 'ArrowDown')).toEqual({ column: 'todo', lane: 'medium', index: 0 })
    expect(nextPlace(b, '1', from, 'ArrowUp')).toEqual({ column: 'todo', lane: 'urgent', index: 0 })
    expect(nextPlace(b, '1', { column: 'todo', lane: 'medium', index: 0 }, 'ArrowDown')).toEqual({ column: 'todo', lane: 'low', index: 0 })
    expect(nextPlace(b, '1', { column: 'todo', lane: 'none', index: 0 }, 'ArrowUp')).toEqual({ column: 'todo', lane: 'low', index: 1 })
    expect(nextPlace(b, '1', { column: 'todo', lane: 'none', index: 0 }, 'ArrowDown')).toBeNull()
  })
})

describe('pointer drops', () => {
  it('turns a drop on a card half or a cell into a place', () => {
    const b = board()
    expect(placeForDrop(b, '1', { kind: 'card', id: '3', after: true })).toEqual({ column: 'todo', lane: null, index: 2 })
    expect(placeForDrop(b, '1', { kind: 'card', id: '3', after: false })).toEqual({ column: 'todo', lane: null, index: 1 })
    expect(placeForDrop(b, '1', { kind: 'card', id: '4', after: false })).toEqual({ column: 'doing', lane: null, index: 0 })
    expect(placeForDrop(b, '1', { kind: 'cell', column: 'doing', lane: null })).toEqual({ column: 'doing', lane: null, index: 1 })
    expect(placeForDrop(b, '1', { kind: 'card', id: '1', after: true })).toBeNull()
    expect(samePlace(placeForDrop(b, '1', { kind: 'card', id: '2', after: false }), placeOf(b, '1'))).toBe(true)
  })
})

// The board as the screen holds it, and every change to it as a pure function: optimistic moves
// and their rollback, other people's changes from the events socket, swimlanes and WIP state.
// A task has one status and one rank (its order key, compared in byte order) whatever board
// shows it, so a card's place is always "its status's column, sorted by rank": changes from the
// server are applied by that rule; only a move of our own that the server has not answered yet
// sits where it was dropped.
import type { Board, BoardColumn, Swimlanes, Task, TaskCard, TaskFilter } from '../../lib/types'

/** Where a card goes: a column, a swimlane (null without lanes) and its index among that lane's
 * cards of the column, the moving card left out. */
export interface Place { column: string, lane: string | null, index: number }

/** The lane value of a card that has no assignee, priority or label. */
export const NO_LANE = 'none'

/** The lane a card sits in under `swimlanes` (first assignee or label; priority). */
export function laneOf (card: TaskCard, swimlanes: Swimlanes | null | undefined): string | null {
  if (!swimlanes) return null
  if (swimlanes === 'assignee') return card.assignees[0] ?? NO_LANE
  if (swimlanes === 'label') return card.labels[0] ?? NO_LANE
  return card.priority
}

const PRIORITY_LANES = ['urgent', 'high', 'medium', 'low', 'none']

/** The board's lanes in display order: priorities from urgent down; assignees and labels as
 * they first appear, the "none" lane last. One lane (null) without swimlanes. */
export function lanesOf (board: Board): (string | null)[] {
  const s = board.swimlanes
  if (!s) return [null]
  if (s === 'priority') return PRIORITY_LANES
  const seen: string[] = []
  for (const c of board.columns) {
    for (const t of c.tasks) {
      const l = laneOf(t, s)!
      if (l !== NO_LANE && !seen.includes(l)) seen.push(l)
    }
  }
  return [...seen, NO_LANE]
}

/** The cards of one column in one lane, in order. */
export function cellCards (column: BoardColumn, lane: string | null, swimlanes: Swimlanes | null | undefined): TaskCard[] {
  if (lane === null) return column.tasks
  return column.tasks.filter((t) => laneOf(t, swimlanes) === lane)
}

/** The card with the changes that putting it in `lane` makes (a new first assignee or label, a
 * priority), or null when the lane changes nothing. */
export function withLane (card: TaskCard, swimlanes: Swimlanes | null | undefined, lane: string | null): TaskCard | null {
  if (!swimlanes || lane === null || laneOf(card, swimlanes) === lane) return null
  if (swimlanes === 'priority') return { ...card, priority: lane as TaskCard['priority'] }
  if (swimlanes === 'assignee') return { ...card, assignees: lane === NO_LANE ? [] : [lane] }
  const rest = card.labels.slice(1)
  return { ...card, labels: lane === NO_LANE ? rest : [lane, ...rest.filter((l) => l !== lane)] }
}

export function findCard (board: Board, id: string): { column: BoardColumn, card: TaskCard, index: number } | null {
  for (const column of board.columns) {
    const index = column.tasks.findIndex((t) => t.id === id)
    if (index >= 0) return { column, card: column.tasks[index], index }
  }
  return null
}

/** The place a card has now (for keyboard moves and rollback). */
export function placeOf (board: Board, id: string): Place | null {
  const f = findCard(board, id)
  if (!f) return null
  const lane = laneOf(f.card, board.swimlanes)
  const cell = cellCards(f.column, lane, board.swimlanes)
  return { column: f.column.id, lane, index: cell.findIndex((t) => t.id === id) }
}

function withoutCard (board: Board, id: string): Board {
  return { ...board, columns: board.columns.map((c) => c.tasks.some((t) => t.id === id) ? { ...c, tasks: c.tasks.filter((t) => t.id !== id) } : c) }
}

function bump (board: Board, columnId: string | undefined, by: number): Board {
  if (!columnId || !by) return board
  return { ...board, columns: board.columns.map((c) => c.id === columnId ? { ...c, count: Math.max(0, c.count + by) } : c) }
}

/** Moves `id` to `place` as the person sees it (optimistic): the card keeps its old rank until
 * the server answers; counts follow. Returns the board unchanged when the card is unknown. */
export function moveLocally (board: Board, id: string, place: Place): Board {
  const from = findCard(board, id)
  const to = board.columns.find((c) => c.id === place.column)
  if (!from || !to) return board
  const moved: TaskCard = { ...(withLane(from.card, board.swimlanes, place.lane) ?? from.card), status_id: to.status_id }
  let next = withoutCard(board, id)
  const target = next.columns.find((c) => c.id === place.column)!
  const cell = cellCards(target, place.lane, board.swimlanes)
  // The index is among the lane's cards: put it before the card that will follow it, or just
  // after the lane's last card (or at the column's end when the lane is empty).
  const follower = cell[place.index]
  const tasks = [...target.tasks]
  if (follower) tasks.splice(tasks.indexOf(follower), 0, moved)
  else if (cell.length) tasks.splice(tasks.indexOf(cell[cell.length - 1]) + 1, 0, moved)
  else tasks.push(moved)
  next = { ...next, columns: next.columns.map((c) => c.id === target.id ? { ...c, tasks } : c) }
  if (from.column.id !== to.id) next = bump(bump(next, from.column.id, -1), to.id, 1)
  return next
}

/** The neighbours the server wants for a move to `place`: the cards before and after it in its
 * lane (ids), computed on the board as it is before the move. */
export function neighbours (board: Board, id: string, place: Place): { after?: string, before?: string } {
  const column = board.columns.find((c) => c.id === place.column)
  if (!column) return {}
  const cell = cellCards(column, place.lane, board.swimlanes).filter((t) => t.id !== id)
  const after = cell[place.index - 1]?.id
  const before = cell[place.index]?.id
  return { ...(after ? { after } : {}), ...(before ? { before } : {}) }
}

/** Whether a card belongs on a board with `filter` (what the server's filter means). */
export function matchesFilter (card: TaskCard, filter: TaskFilter | null | undefined): boolean {
  if (!filter) return true
  const f = filter
  if (f.assignees?.length && !f.assignees.some((a) => a === NO_LANE ? card.assignees.length === 0 : card.assignees.includes(a))) return false
  if (f.labels?.length && !f.labels.some((l) => card.labels.includes(l))) return false
  if (f.priorities?.length && !f.priorities.includes(card.priority)) return false
  if (f.statuses?.length && !f.statuses.includes(card.status_id)) return false
  if (f.milestone && card.milestone !== f.milestone) return false
  if (f.due_before && (!card.due || card.due > f.due_before)) return false
  if (f.text) {
    const hay = `${card.key} ${card.title}`.toLowerCase()
    if (!f.text.toLowerCase().split(/\s+/).filter(Boolean).every((w) => hay.includes(w))) return false
  }
  return true
}

/** The board with `card` as the server says it is now: out of wherever it was, into its
 * status's column by rank (when the board shows that status and the card passes the filter).
 * `fromStatus` names the status a card we did not show left, so its column's count follows. */
export function applyCard (board: Board, card: TaskCard, fromStatus?: string | null): Board {
  const before = findCard(board, card.id)
  let next = before ? withoutCard(board, card.id) : board
  const to = next.columns.find((c) => c.status_id === card.status_id)
  if (to && matchesFilter(card, board.filter)) {
    const tasks = [...to.tasks]
    let i = tasks.findIndex((t) => t.rank > card.rank)
    if (i < 0) i = tasks.length
    tasks.splice(i, 0, card)
    next = { ...next, columns: next.columns.map((c) => c.id === to.id ? { ...c, tasks } : c) }
  }
  const oldColumn = before ? before.column : (fromStatus ? board.columns.find((c) => c.status_id === fromStatus) : undefined)
  const newColumn = board.columns.find((c) => c.status_id === card.status_id)
  if (oldColumn?.id !== newColumn?.id) {
    next = bump(bump(next, oldColumn?.id, -1), newColumn?.id, 1)
  } else if (!before && !fromStatus && newColumn) {
    // A card new to us in a column we show, that left no other: created (or newly visible).
    next = bump(next, newColumn.id, 1)
  }
  return next
}

/** The board without a deleted task. */
export function removeCard (board: Board, id: string): Board {
  const f = findCard(board, id)
  if (!f) return board
  return bump(withoutCard(board, id), f.column.id, -1)
}

/** Putting a card back where it was (the server refused a move): `original` is the card as it
 * was before, with its old status and rank; counts follow. */
export function rollback (board: Board, original: TaskCard): Board {
  return applyCard(board, original)
}

/** How a column stands against its WIP limit. */
export function wipState (column: BoardColumn): 'none' | 'under' | 'at' | 'over' {
  if (column.wip_limit === null || column.wip_limit === undefined) return 'none'
  if (column.count > column.wip_limit) return 'over'
  if (column.count === column.wip_limit) return 'at'
  return 'under'
}

/** Whether moving a card into `column` from elsewhere would pass its WIP limit (the server
 * refuses such a move with 409 `wip_limit` unless a manager forces it). */
export function wouldExceed (column: BoardColumn, fromColumn: string): boolean {
  if (column.id === fromColumn || column.wip_limit === null || column.wip_limit === undefined) return false
  return column.count + 1 > column.wip_limit
}

/** The place a pointer drop on `target` means for card `id` (null: nowhere it can go). */
export function placeForDrop (board: Board, id: string, target: { kind: 'card', id: string, after: boolean } | { kind: 'cell', column: string, lane: string | null }): Place | null {
  if (target.kind === 'cell') {
    const column = board.columns.find((c) => c.id === target.column)
    if (!column) return null
    return { column: column.id, lane: target.lane, index: cellCards(column, target.lane, board.swimlanes).filter((t) => t.id !== id).length }
  }
  if (target.id === id) return null
  const f = findCard(board, target.id)
  if (!f) return null
  const lane = laneOf(f.card, board.swimlanes)
  const cell = cellCards(f.column, lane, board.swimlanes).filter((t) => t.id !== id)
  return { column: f.column.id, lane, index: cell.indexOf(f.card) + (target.after ? 1 : 0) }
}

/** Whether two places are the same. */
export function samePlace (a: Place | null, b: Place | null): boolean {
  return !!a && !!b && a.column === b.column && a.lane === b.lane && a.index === b.index
}

/** A task's card (what a board shows of it), from the whole task. */
export function cardOf (t: Task): TaskCard {
  return {
    id: t.id,
    key: t.key,
    title: t.title,
    status_id: t.status_id,
    rank: t.rank,
    priority: t.priority,
    assignees: t.assignees,
    labels: t.labels,
    due: t.due ?? null,
    estimate: t.estimate ?? null,
    milestone: t.milestone ?? null,
    parent: t.parent?.id ?? null,
    blocked: t.blocked_by.some((b) => !b.closed),
    subtasks_done: t.subtasks.filter((s) => s.closed).length,
    subtasks_total: t.subtasks.length,
    checklist_done: t.checklist.filter((c) => c.done).length,
    checklist_total: t.checklist.length,
    closed: t.category === 'done' || t.category === 'cancelled',
    updated_at: t.updated_at
  }
}

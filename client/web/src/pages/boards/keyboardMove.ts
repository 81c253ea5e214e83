// Keyboard moves on a board: where a picked-up card goes for each arrow key. Up and down move
// it within its column (past the first or last card into the lane above or below, when the
// board has swimlanes); left and right move it to the neighbouring column, same lane, at the
// same height or the end. Pure, so the rules are tested without a browser.
import type { Board } from '../../lib/types'
import { cellCards, lanesOf, type Place } from './boardState'

export type ArrowKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight'

export function isArrow (key: string): key is ArrowKey {
  return key === 'ArrowUp' || key === 'ArrowDown' || key === 'ArrowLeft' || key === 'ArrowRight'
}

/** How many cards other than `id` a cell holds: the last index a card can take there. */
function cellSize (board: Board, column: string, lane: string | null, id: string): number {
  const c = board.columns.find((x) => x.id === column)
  if (!c) return 0
  return cellCards(c, lane, board.swimlanes).filter((t) => t.id !== id).length
}

/** The place `key` takes card `id` to from `from`, or null when it cannot go further. */
export function nextPlace (board: Board, id: string, from: Place, key: ArrowKey): Place | null {
  const columns = board.columns.map((c) => c.id)
  const col = columns.indexOf(from.column)
  if (col < 0) return null
  if (key === 'ArrowLeft' || key === 'ArrowRight') {
    const to = columns[col + (key === 'ArrowLeft' ? -1 : 1)]
    if (!to) return null
    return { column: to, lane: from.lane, index: Math.min(from.index, cellSize(board, to, from.lane, id)) }
  }
  const size = cellSize(board, from.column, from.lane, id)
  if (key === 'ArrowUp' && from.index > 0) return { ...from, index: from.index - 1 }
  if (key === 'ArrowDown' && from.index < size) return { ...from, index: from.index + 1 }
  // At the edge of the cell: into the next lane (its end going up, its start going down).
  const lanes = lanesOf(board)
  const lane = lanes[lanes.indexOf(from.lane) + (key === 'ArrowUp' ? -1 : 1)]
  if (lane === undefined) return null
  return { column: from.column, lane, index: key === 'ArrowUp' ? cellSize(board, from.column, lane, id) : 0 }
}

/** A sentence for screen readers about a card at `place` ("In progress, position 2 of 3"). */
export function describePlace (board: Board, id: string, place: Place, laneLabel: (lane: string) => string): string {
  const c = board.columns.find((x) => x.id === place.column)
  if (!c) return ''
  const total = cellSize(board, place.column, place.lane, id) + 1
  const lane = place.lane === null ? '' : `, lane ${laneLabel(place.lane)}`
  return `${c.name}${lane}, position ${place.index + 1} of ${total}`
}

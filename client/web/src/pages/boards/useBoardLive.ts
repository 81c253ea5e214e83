// Keeps an open board current from the events socket: other people's created, changed, moved
// and deleted tasks are applied as they come (by status and rank, boardState.ts); a change to
// the board itself or a `resync` (the socket resumes from the last event it saw; the server
// sends `resync` when it no longer has what was missed) refetches it.
import { useEffect, useRef } from 'preact/hooks'
import { events } from '../../lib/session'
import type { Board, TaskCard, TaskEvent } from '../../lib/types'
import { applyCard, findCard, removeCard } from './boardState'

/** How long a burst of closings waits before the one refetch it causes. */
const RELOAD_DEBOUNCE_MS = 250

/** Keeps the board live; returns how to apply a card the server answered with (our own
 * changes), by the same rules as the events. */
export function useBoardLive (board: Board | undefined, update: (f: (b: Board) => Board) => void, reload: () => void, onDeleted: () => void): (card: TaskCard) => void {
  const id = board?.id
  const project = board?.project_id
  const current = useRef(board)
  current.current = board
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)
  const latestReload = useRef(reload)
  latestReload.current = reload
  /** The card as the server has it now. A task closed or reopened changes whether the tasks it
   * blocks are blocked, and their cards come with no event of their own: then the board is
   * fetched again (once for a burst), whether the change came as an event or as an answer. */
  const apply = (card: TaskCard, fromStatus?: string | null) => {
    const before = current.current && findCard(current.current, card.id)
    if (before ? before.card.closed !== card.closed : card.closed) {
      clearTimeout(timer.current)
      timer.current = setTimeout(() => latestReload.current(), RELOAD_DEBOUNCE_MS)
    }
    update((b) => applyCard(b, card, fromStatus))
  }
  useEffect(() => () => clearTimeout(timer.current), [])
  useEffect(() => {
    if (!id || !project) return
    const onCard = (e: TaskEvent) => { if (e.project_id === project) apply(e.task, e.from_status) }
    const offs = [
      events.on('task.created', (f) => onCard(f.data)),
      events.on('task.updated', (f) => onCard(f.data)),
      events.on('task.moved', (f) => onCard(f.data)),
      events.on('task.deleted', (f) => { if (f.data.project_id === project) update((b) => removeCard(b, f.data.id)) }),
      events.on('board.updated', (f) => { if (f.data.id === id) reload() }),
      events.on('board.deleted', (f) => { if (f.data.id === id) onDeleted() }),
      events.on('resync', () => reload())
    ]
    return () => { for (const off of offs) off() }
  }, [id, project])
  return apply
}

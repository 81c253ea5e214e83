// Keeps an open board current from the events socket: other people's created, changed, moved
// and deleted tasks are applied as they come (by status and rank, boardState.ts); a change to
// the board itself or a `resync` (the socket resumes from the last event it saw; the server
// sends `resync` when it no longer has what was missed) refetches it. A task that closes or
// reopens changes the blocked markers of the tasks it blocks: the server sends `task.updated`
// for each of those, so their cards arrive like any other change.
import { useEffect } from 'preact/hooks'
import { events } from '../../lib/session'
import type { Board, TaskCard, TaskEvent } from '../../lib/types'
import { applyCard, removeCard } from './boardState'

/** Keeps the board live; returns how to apply a card the server answered with (our own
 * changes), by the same rules as the events. */
export function useBoardLive (board: Board | undefined, update: (f: (b: Board) => Board) => void, reload: () => void, onDeleted: () => void): (card: TaskCard) => void {
  const id = board?.id
  const project = board?.project_id
  /** The card as the server has it now, whether it came as an event or as an answer. */
  const apply = (card: TaskCard, fromStatus?: string | null) => {
    update((b) => applyCard(b, card, fromStatus))
  }
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

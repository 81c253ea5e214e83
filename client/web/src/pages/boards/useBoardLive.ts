// Keeps an open board current from the events socket: other people's created, changed, moved
// and deleted tasks are applied as they come (by status and rank, boardState.ts); a change to
// the board itself or a `resync` (the socket resumes from the last event it saw; the server
// sends `resync` when it no longer has what was missed) refetches it.
import { useEffect, useRef } from 'preact/hooks'
import { events } from '../../lib/session'
import type { Board, TaskEvent } from '../../lib/types'
import { applyCard, findCard, removeCard } from './boardState'

/** How long a burst of closings waits before the one refetch it causes. */
const RELOAD_DEBOUNCE_MS = 250

export function useBoardLive (board: Board | undefined, update: (f: (b: Board) => Board) => void, reload: () => void, onDeleted: () => void): void {
  const id = board?.id
  const project = board?.project_id
  const current = useRef(board)
  current.current = board
  useEffect(() => {
    if (!id || !project) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const reloadSoon = () => { clearTimeout(timer); timer = setTimeout(reload, RELOAD_DEBOUNCE_MS) }
    const onCard = (e: TaskEvent) => {
      if (e.project_id !== project) return
      // A task closed or reopened changes whether the tasks it blocks are blocked, and their
      // cards come with no event of their own: the board is fetched again.
      const before = current.current && findCard(current.current, e.task.id)
      if (before ? before.card.closed !== e.task.closed : e.task.closed) reloadSoon()
      update((b) => applyCard(b, e.task, e.from_status))
    }
    const offs = [
      events.on('task.created', (f) => onCard(f.data)),
      events.on('task.updated', (f) => onCard(f.data)),
      events.on('task.moved', (f) => onCard(f.data)),
      events.on('task.deleted', (f) => { if (f.data.project_id === project) update((b) => removeCard(b, f.data.id)) }),
      events.on('board.updated', (f) => { if (f.data.id === id) reload() }),
      events.on('board.deleted', (f) => { if (f.data.id === id) onDeleted() }),
      events.on('resync', () => reload())
    ]
    return () => { clearTimeout(timer); for (const off of offs) off() }
  }, [id, project])
}

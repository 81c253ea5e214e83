// Keeps an open board current from the events socket: other people's created, changed, moved
// and deleted tasks are applied as they come (by status and rank, boardState.ts); a change to
// the board itself or a `resync` (the socket resumes from the last event it saw; the server
// sends `resync` when it no longer has what was missed) refetches it.
import { useEffect } from 'preact/hooks'
import { events } from '../../lib/session'
import type { Board } from '../../lib/types'
import { applyCard, removeCard } from './boardState'

export function useBoardLive (board: Board | undefined, update: (f: (b: Board) => Board) => void, reload: () => void, onDeleted: () => void): void {
  const id = board?.id
  const project = board?.project_id
  useEffect(() => {
    if (!id || !project) return
    const offs = [
      events.on('task.created', (f) => { if (f.data.project_id === project) update((b) => applyCard(b, f.data.task, f.data.from_status)) }),
      events.on('task.updated', (f) => { if (f.data.project_id === project) update((b) => applyCard(b, f.data.task, f.data.from_status)) }),
      events.on('task.moved', (f) => { if (f.data.project_id === project) update((b) => applyCard(b, f.data.task, f.data.from_status)) }),
      events.on('task.deleted', (f) => { if (f.data.project_id === project) update((b) => removeCard(b, f.data.id)) }),
      events.on('board.updated', (f) => { if (f.data.id === id) reload() }),
      events.on('board.deleted', (f) => { if (f.data.id === id) onDeleted() }),
      events.on('resync', () => reload())
    ]
    return () => { for (const off of offs) off() }
  }, [id, project])
}

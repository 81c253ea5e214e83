// Drag and drop on the board (and the deal pipeline), with the shared pointer-only manager
// (ui/dragManager.ts). Cards are both draggables and drop targets (drop on the upper half:
// before it, lower half: after it); each column × lane cell is a drop target of lower
// priority (drop there: at its end). Keyboard moves are the board's own (keyboardMove.ts).
import { useEffect } from 'preact/hooks'
import { type DragDropManager, Draggable, Droppable } from '@dnd-kit/dom'
import { useDragManager, type DragHandlers, type DropResolver } from '../../ui/dragManager'

/** Where a dragged card would land. */
export type DropTarget =
  | { kind: 'card', id: string, after: boolean }
  | { kind: 'cell', column: string, lane: string | null }

interface DropData { kind: 'card' | 'cell', id?: string, column?: string, lane?: string | null }

export type BoardDndHandlers = DragHandlers<DropTarget>

/** Low: a cell only wins when the pointer is on no card. */
const CELL_PRIORITY = 1

function targetOf (operation: any): DropTarget | null {
  const t = operation?.target
  const data = t?.data as DropData | undefined
  if (!t || !data) return null
  if (data.kind === 'cell') return { kind: 'cell', column: data.column!, lane: data.lane ?? null }
  const el = t.element as Element | undefined
  const y = operation.position?.current?.y
  if (!el || typeof y !== 'number') return { kind: 'card', id: data.id!, after: false }
  const r = el.getBoundingClientRect()
  return { kind: 'card', id: data.id!, after: y > r.top + r.height / 2 }
}

/** A card under the pointer wins over the cell it sits in (a card is not its own target). */
function atPoint (data: DropData, element: Element, point: { x: number, y: number }, source: string): { target: DropTarget, final: boolean } | null {
  if (data.kind === 'card') {
    if (data.id === source) return null
    const r = element.getBoundingClientRect()
    return { target: { kind: 'card', id: data.id!, after: point.y > r.top + r.height / 2 }, final: true }
  }
  return { target: { kind: 'cell', column: data.column!, lane: data.lane ?? null }, final: false }
}

const BOARD_TARGETS: DropResolver<DropTarget> = {
  targetOf,
  atPoint,
  same: (a, b) => JSON.stringify(a) === JSON.stringify(b)
}

/** One manager per board screen; the handlers may change between renders. */
export function useBoardDnd (handlers: BoardDndHandlers): DragDropManager {
  return useDragManager(BOARD_TARGETS, handlers)
}

/** Makes a card element draggable and a drop target. */
export function useCardDnd (manager: DragDropManager, id: string, element: { current: HTMLElement | null }, disabled: boolean): void {
  useEffect(() => {
    const el = element.current
    if (!el) return
    const draggable = new Draggable({ id, element: el, disabled, data: { kind: 'card', id } }, manager)
    const droppable = new Droppable({ id: `card:${id}`, element: el, data: { kind: 'card', id }, accept: (source) => source.id !== id }, manager)
    return () => { draggable.destroy(); droppable.destroy() }
  }, [manager, id, disabled])
}

/** Makes a column × lane cell a drop target (its end). */
export function useCellDnd (manager: DragDropManager, column: string, lane: string | null, element: { current: HTMLElement | null }): void {
  useEffect(() => {
    const el = element.current
    if (!el) return
    const droppable = new Droppable({ id: `cell:${column}:${lane ?? ''}`, element: el, collisionPriority: CELL_PRIORITY, data: { kind: 'cell', column, lane } }, manager)
    return () => droppable.destroy()
  }, [manager, column, lane])
}

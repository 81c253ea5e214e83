// Drag and drop on the board through @dnd-kit/dom (framework-agnostic; its reactive state is
// Preact's own signals-core): pointer dragging for mouse, pen and touch (touch after a short
// press, so the board still scrolls). Cards are both draggables and drop targets (drop on the
// upper half: before it, lower half: after it); each column × lane cell is a drop target of
// lower priority (drop there: at its end). The library's own keyboard sensor moves a card by
// pixels; a kanban wants discrete places and a spoken position, so keyboard moves are ours
// (keyboardMove.ts) and its sensor and screen-reader plugin are left out.
import { useEffect, useRef } from 'preact/hooks'
import { AutoScroller, Cursor, DragDropManager, Draggable, Droppable, Feedback, PointerSensor, PreventSelection } from '@dnd-kit/dom'

/** Where a dragged card would land. */
export type DropTarget =
  | { kind: 'card', id: string, after: boolean }
  | { kind: 'cell', column: string, lane: string | null }

interface DropData { kind: 'card' | 'cell', id?: string, column?: string, lane?: string | null }

export interface BoardDndHandlers {
  onStart: (taskId: string) => void
  onHover: (taskId: string, target: DropTarget | null) => void
  onDrop: (taskId: string, target: DropTarget | null) => void
}

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

/** Where the pointer is when the card is let go. The library finds collisions in a scheduled
 * pass, so at the end of a quick drag its target can still be a column the pointer only crossed
 * on the way (a deal dragged from Qualified to Won landed in Proposal); the drop asks the
 * registered targets under the final pointer position instead. A card wins over the cell it
 * sits in; `undefined` when the pointer is over no target (the caller keeps the library's). */
function targetAtPointer (manager: DragDropManager, operation: any): DropTarget | null | undefined {
  const p = operation?.position?.current
  if (!p || typeof p.x !== 'number' || typeof p.y !== 'number') return undefined
  const source = String(operation?.source?.id ?? '')
  let cell: DropTarget | null = null
  for (const d of manager.registry.droppables) {
    const data = d.data as DropData | undefined
    const el = d.element
    if (!data || !el || d.disabled || (data.kind === 'card' && data.id === source)) continue
    const r = el.getBoundingClientRect()
    if (p.x < r.left || p.x > r.right || p.y < r.top || p.y > r.bottom) continue
    if (data.kind === 'card') return { kind: 'card', id: data.id!, after: p.y > r.top + r.height / 2 }
    cell = { kind: 'cell', column: data.column!, lane: data.lane ?? null }
  }
  return cell ?? undefined
}

function sameTarget (a: DropTarget | null, b: DropTarget | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/** One manager per board screen; the handlers may change between renders. */
export function useBoardDnd (handlers: BoardDndHandlers): DragDropManager {
  const ref = useRef<DragDropManager | null>(null)
  const latest = useRef(handlers)
  latest.current = handlers
  if (!ref.current) {
    ref.current = new DragDropManager({
      sensors: [PointerSensor],
      // No drop animation: the card is placed by the next render and slides there (flip.ts).
      plugins: [AutoScroller, Cursor, Feedback.configure({ dropAnimation: null }), PreventSelection]
    })
  }
  useEffect(() => {
    const m = ref.current!
    let hover: DropTarget | null = null
    const idOf = (op: any) => String(op?.source?.id ?? '')
    const off = [
      m.monitor.addEventListener('dragstart', (e: any) => { hover = null; latest.current.onStart(idOf(e.operation)) }),
      m.monitor.addEventListener('dragmove', (e: any) => {
        const t = targetOf(e.operation)
        if (!sameTarget(t, hover)) { hover = t; latest.current.onHover(idOf(e.operation), t) }
      }),
      m.monitor.addEventListener('dragover', (e: any) => {
        const t = targetOf(e.operation)
        if (!sameTarget(t, hover)) { hover = t; latest.current.onHover(idOf(e.operation), t) }
      }),
      m.monitor.addEventListener('dragend', (e: any) => {
        const id = idOf(e.operation)
        const at = e.canceled ? null : targetAtPointer(m, e.operation)
        latest.current.onDrop(id, e.canceled ? null : (at !== undefined ? at : (targetOf(e.operation) ?? hover)))
        hover = null
      })
    ]
    return () => { for (const f of off) f() }
  }, [])
  useEffect(() => () => { ref.current?.destroy() }, [])
  return ref.current
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

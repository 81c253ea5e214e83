// Dragging pages in the page tree, with @dnd-kit/dom as the board does (boards/dnd.ts, whose
// pointer-only set-up and drop-at-the-pointer rule this follows; its card/cell targets are a
// board's, so the tree has its own small manager). Every row is a draggable and a drop target:
// the upper quarter of a row drops before it, the lower quarter after it, the middle nests the
// page inside it (last). Keyboard moves are the tree's own (Alt+arrow keys, DocTree.tsx).
import { useEffect, useRef } from 'preact/hooks'
import { AutoScroller, Cursor, DragDropManager, Draggable, Droppable, Feedback, PointerSensor, PreventSelection } from '@dnd-kit/dom'
import type { DropZone } from './tree'

export interface TreeDrop { id: string, zone: DropZone }

export interface TreeDndHandlers {
  onStart: (id: string) => void
  onHover: (id: string, target: TreeDrop | null) => void
  onDrop: (id: string, target: TreeDrop | null) => void
}

function zoneAt (el: Element, y: number): DropZone {
  const r = el.getBoundingClientRect()
  if (y < r.top + r.height / 4) return 'before'
  if (y > r.bottom - r.height / 4) return 'after'
  return 'inside'
}

function targetOf (operation: any): TreeDrop | null {
  const t = operation?.target
  const id = t?.data?.id as string | undefined
  const el = t?.element as Element | undefined
  const y = operation?.position?.current?.y
  if (!id || !el || typeof y !== 'number') return null
  return { id, zone: zoneAt(el, y) }
}

/** The row under the pointer when the page is let go (the library's collision pass may lag a quick drag). */
function targetAtPointer (manager: DragDropManager, operation: any): TreeDrop | null | undefined {
  const p = operation?.position?.current
  if (!p || typeof p.x !== 'number' || typeof p.y !== 'number') return undefined
  const source = String(operation?.source?.id ?? '')
  for (const d of manager.registry.droppables) {
    const id = d.data?.id as string | undefined
    const el = d.element
    if (!id || !el || d.disabled || id === source) continue
    const r = el.getBoundingClientRect()
    if (p.x < r.left || p.x > r.right || p.y < r.top || p.y > r.bottom) continue
    return { id, zone: zoneAt(el, p.y) }
  }
  return undefined
}

const same = (a: TreeDrop | null, b: TreeDrop | null) => a?.id === b?.id && a?.zone === b?.zone

/** One manager per tree; the handlers may change between renders. */
export function useTreeDnd (handlers: TreeDndHandlers): DragDropManager {
  const ref = useRef<DragDropManager | null>(null)
  const latest = useRef(handlers)
  latest.current = handlers
  if (!ref.current) {
    ref.current = new DragDropManager({
      sensors: [PointerSensor],
      plugins: [AutoScroller, Cursor, Feedback.configure({ dropAnimation: null }), PreventSelection]
    })
  }
  useEffect(() => {
    const m = ref.current!
    let hover: TreeDrop | null = null
    const idOf = (op: any) => String(op?.source?.id ?? '')
    const moved = (e: any) => {
      const t = targetOf(e.operation)
      if (!same(t, hover)) { hover = t; latest.current.onHover(idOf(e.operation), t) }
    }
    const off = [
      m.monitor.addEventListener('dragstart', (e: any) => { hover = null; latest.current.onStart(idOf(e.operation)) }),
      m.monitor.addEventListener('dragmove', moved),
      m.monitor.addEventListener('dragover', moved),
      m.monitor.addEventListener('dragend', (e: any) => {
        const at = e.canceled ? null : targetAtPointer(m, e.operation)
        latest.current.onDrop(idOf(e.operation), e.canceled ? null : (at !== undefined ? at : (targetOf(e.operation) ?? hover)))
        hover = null
      })
    ]
    return () => { for (const f of off) f() }
  }, [])
  useEffect(() => () => { ref.current?.destroy() }, [])
  return ref.current
}

/** Makes a page's row draggable and a drop target. */
export function useRowDnd (manager: DragDropManager, id: string, element: { current: HTMLElement | null }, disabled: boolean): void {
  useEffect(() => {
    const el = element.current
    if (!el) return
    const draggable = new Draggable({ id, element: el, disabled, data: { id } }, manager)
    const droppable = new Droppable({ id: `page:${id}`, element: el, disabled, data: { id }, accept: (source) => source.id !== id }, manager)
    return () => { draggable.destroy(); droppable.destroy() }
  }, [manager, id, disabled])
}

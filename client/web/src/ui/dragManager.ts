// The drag-and-drop manager the board, the pipeline and the page tree share: @dnd-kit/dom
// (framework-agnostic; its reactive state is Preact's own signals-core) with pointer dragging
// only — mouse, pen and touch (touch after a short press, so lists still scroll). The
// library's keyboard sensor moves things by pixels; each screen has its own keyboard moves
// to discrete places, with a spoken position, so that sensor and its screen-reader plugin
// are left out. What a drop target means (a card, a cell, a row's zone) is the screen's: it
// describes its targets with a `DropResolver`.
import { useEffect, useRef } from 'preact/hooks'
import { AutoScroller, Cursor, DragDropManager, Feedback, PointerSensor, PreventSelection } from '@dnd-kit/dom'

export interface DragHandlers<T> {
  onStart: (id: string) => void
  onHover: (id: string, target: T | null) => void
  onDrop: (id: string, target: T | null) => void
}

export interface DropResolver<T> {
  /** The target the library's collision pass names for an operation, or null. */
  targetOf: (operation: any) => T | null
  /** What a registered drop target under the pointer stands for (`data` as registered), or
   * null when it cannot take `source`; `final`: nothing registered after it may win (a card
   * over the cell it sits in). */
  atPoint: (data: any, element: Element, point: { x: number, y: number }, source: string) => { target: T, final: boolean } | null
  same: (a: T | null, b: T | null) => boolean
}

/** Where the pointer is when the thing is let go. The library finds collisions in a scheduled
 * pass, so at the end of a quick drag its target can still be one the pointer only crossed on
 * the way (a deal dragged from Qualified to Won landed in Proposal); the drop asks the
 * registered targets under the final pointer position instead. `undefined` when the pointer is
 * over none (the caller keeps the library's). */
function targetAtPointer<T> (manager: DragDropManager, operation: any, resolver: DropResolver<T>): T | undefined {
  const p = operation?.position?.current
  if (!p || typeof p.x !== 'number' || typeof p.y !== 'number') return undefined
  const source = String(operation?.source?.id ?? '')
  let found: T | undefined
  for (const d of manager.registry.droppables) {
    const el = d.element
    if (!d.data || !el || d.disabled) continue
    const r = el.getBoundingClientRect()
    if (p.x < r.left || p.x > r.right || p.y < r.top || p.y > r.bottom) continue
    const hit = resolver.atPoint(d.data, el, p, source)
    if (!hit) continue
    if (hit.final) return hit.target
    found = hit.target
  }
  return found
}

/** One manager per screen; the handlers may change between renders. */
export function useDragManager<T> (resolver: DropResolver<T>, handlers: DragHandlers<T>): DragDropManager {
  const ref = useRef<DragDropManager | null>(null)
  const latest = useRef(handlers)
  latest.current = handlers
  if (!ref.current) {
    ref.current = new DragDropManager({
      sensors: [PointerSensor],
      // No drop animation: the thing is placed by the next render (and slides there on boards).
      plugins: [AutoScroller, Cursor, Feedback.configure({ dropAnimation: null }), PreventSelection]
    })
  }
  useEffect(() => {
    const m = ref.current!
    let hover: T | null = null
    const idOf = (op: any) => String(op?.source?.id ?? '')
    const moved = (e: any) => {
      const t = resolver.targetOf(e.operation)
      if (!resolver.same(t, hover)) { hover = t; latest.current.onHover(idOf(e.operation), t) }
    }
    const off = [
      m.monitor.addEventListener('dragstart', (e: any) => { hover = null; latest.current.onStart(idOf(e.operation)) }),
      m.monitor.addEventListener('dragmove', moved),
      m.monitor.addEventListener('dragover', moved),
      m.monitor.addEventListener('dragend', (e: any) => {
        const id = idOf(e.operation)
        if (e.canceled) latest.current.onDrop(id, null)
        else latest.current.onDrop(id, targetAtPointer(m, e.operation, resolver) ?? resolver.targetOf(e.operation) ?? hover)
        hover = null
      })
    ]
    return () => { for (const f of off) f() }
  }, [])
  useEffect(() => () => { ref.current?.destroy() }, [])
  return ref.current
}

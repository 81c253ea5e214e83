// Dragging pages in the page tree, with the shared pointer-only manager (ui/dragManager.ts,
// as boards do). Every row is a draggable and a drop target:
// the upper quarter of a row drops before it, the lower quarter after it, the middle nests the
// page inside it (last). Keyboard moves are the tree's own (Alt+arrow keys, DocTree.tsx).
import { useEffect } from 'preact/hooks'
import { type DragDropManager, Draggable, Droppable } from '@dnd-kit/dom'
import { useDragManager, type DragHandlers, type DropResolver } from '../../ui/dragManager'
import type { DropZone } from './tree'

export interface TreeDrop { id: string, zone: DropZone }

export type TreeDndHandlers = DragHandlers<TreeDrop>

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

const TREE_TARGETS: DropResolver<TreeDrop> = {
  targetOf,
  atPoint: (data, element, point, source) => {
    const id = data?.id as string | undefined
    return id && id !== source ? { target: { id, zone: zoneAt(element, point.y) }, final: true } : null
  },
  same: (a, b) => a?.id === b?.id && a?.zone === b?.zone
}

/** One manager per tree; the handlers may change between renders. */
export function useTreeDnd (handlers: TreeDndHandlers): DragDropManager {
  return useDragManager(TREE_TARGETS, handlers)
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

// Cards slide to their new place instead of jumping (FLIP: remember where each card was,
// render, then start each moved card at its old place and let a transition take it home).
// Someone else's move is then seen travelling across the board.
import { useLayoutEffect, useRef } from 'preact/hooks'

const DURATION_MS = 220

function reducedMotion (): boolean {
  try { return window.matchMedia('(prefers-reduced-motion: reduce)').matches } catch { return false }
}

/** Animates the `[data-card]` elements inside `container` after each render in which one moved. */
export function useFlip (container: { current: HTMLElement | null }, skip: string | null): void {
  const last = useRef(new Map<string, DOMRect>())
  useLayoutEffect(() => {
    const root = container.current
    if (!root) return
    const now = new Map<string, DOMRect>()
    const animate = !reducedMotion()
    for (const el of root.querySelectorAll<HTMLElement>('[data-card]')) {
      const id = el.dataset.card!
      const rect = el.getBoundingClientRect()
      now.set(id, rect)
      const before = last.current.get(id)
      if (!animate || !before || id === skip) continue
      const dx = before.left - rect.left
      const dy = before.top - rect.top
      if (Math.abs(dx) < 1 && Math.abs(dy) < 1) continue
      el.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'translate(0, 0)' }], { duration: DURATION_MS, easing: 'ease-out' })
    }
    last.current = now
  })
}

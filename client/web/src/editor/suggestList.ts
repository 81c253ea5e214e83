// The list a suggestion (@mention, the slash menu) shows under the caret: a listbox the
// keyboard drives while focus stays in the editor, its highlighted option named to assistive
// technology by aria-activedescendant on the editor. It is fixed to the viewport and placed
// again whenever anything scrolls or the window resizes, so it follows the caret; it opens
// above the caret when there is no room below.
import type { SuggestionOptions, SuggestionProps } from '@tiptap/suggestion'

export interface SuggestListOptions<T> {
  /** The listbox's accessible name ("People", "Blocks"). */
  label: string
  /** Shown when nothing matches. */
  empty: string
  /** An option's content. */
  option: (item: T) => Node[]
  /** What the suggestion's `command` receives for the chosen item. */
  pick: (item: T) => unknown
}

let lists = 0

/** Places `el` (fixed) next to `rect`: below it, else above when it fits there, within the viewport. */
export function placeNear (el: HTMLElement, rect: DOMRect): void {
  const gap = 4
  const margin = 8
  const { offsetWidth: w, offsetHeight: h } = el
  const roomBelow = window.innerHeight - rect.bottom - gap - margin
  const above = h > roomBelow && rect.top - gap - h >= margin
  const top = above ? rect.top - gap - h : Math.min(rect.bottom + gap, window.innerHeight - margin - h)
  el.style.left = `${Math.max(margin, Math.min(rect.left, window.innerWidth - w - margin))}px`
  el.style.top = `${Math.max(margin, top)}px`
  el.dataset.placement = above ? 'above' : 'below'
}

export function suggestList<T> (o: SuggestListOptions<T>): NonNullable<SuggestionOptions<T>['render']> {
  return () => {
    let el: HTMLDivElement | null = null
    let props: SuggestionProps<T> | null = null
    let index = 0
    const id = `suggest-${++lists}`
    const host = () => props?.editor.view.dom
    const draw = () => {
      if (!el || !props) return
      el.textContent = ''
      if (!props.items.length) {
        const empty = document.createElement('div')
        empty.className = 'suggest-empty'
        empty.textContent = o.empty
        el.appendChild(empty)
      }
      props.items.forEach((item, i) => {
        const option = document.createElement('div')
        option.id = `${id}-${i}`
        option.className = 'suggest-item' + (i === index ? ' selected' : '')
        option.setAttribute('role', 'option')
        option.setAttribute('aria-selected', String(i === index))
        option.append(...o.option(item))
        // Keep the caret in the editor: choose on mousedown, before focus would move.
        option.onmousedown = (e) => { e.preventDefault(); select(i) }
        el!.appendChild(option)
      })
      const dom = host()
      if (dom) {
        dom.setAttribute('aria-controls', id)
        if (props.items.length) dom.setAttribute('aria-activedescendant', `${id}-${index}`)
        else dom.removeAttribute('aria-activedescendant')
      }
      el.querySelector('.selected')?.scrollIntoView?.({ block: 'nearest' })
      place()
    }
    const place = () => {
      const rect = props?.clientRect?.()
      if (el && rect) placeNear(el, rect)
    }
    // Capture: the editor scrolls inside the page's main area, not the window.
    const onMove = () => place()
    const select = (i: number) => {
      const item = props?.items[i]
      if (item !== undefined && props) props.command(o.pick(item) as any)
    }
    const close = () => {
      document.removeEventListener('scroll', onMove, true)
      window.removeEventListener('resize', onMove)
      const dom = host()
      dom?.removeAttribute('aria-activedescendant')
      dom?.removeAttribute('aria-controls')
      el?.remove()
      el = null
    }
    return {
      onStart: (p) => {
        props = p
        index = 0
        el = document.createElement('div')
        el.id = id
        el.className = 'suggest'
        el.setAttribute('role', 'listbox')
        el.setAttribute('aria-label', o.label)
        el.style.position = 'fixed'
        document.body.appendChild(el)
        document.addEventListener('scroll', onMove, true)
        window.addEventListener('resize', onMove)
        draw()
      },
      onUpdate: (p) => { props = p; index = Math.min(index, Math.max(0, p.items.length - 1)); draw() },
      onKeyDown: ({ event }) => {
        if (!props || !el) return false
        const n = props.items.length
        if (event.key === 'ArrowDown') { index = (index + 1) % Math.max(1, n); draw(); return true }
        if (event.key === 'ArrowUp') { index = (index - 1 + n) % Math.max(1, n); draw(); return true }
        if ((event.key === 'Enter' || event.key === 'Tab') && n) { select(index); return true }
        if (event.key === 'Escape') { close(); return true }
        return false
      },
      onExit: () => { close(); props = null }
    }
  }
}

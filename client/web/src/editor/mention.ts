// @mention suggestions inside the editor: a small listbox under the caret (above it when there
// is no room below), keyboard driven. It is fixed to the viewport and placed again whenever
// anything scrolls or the window resizes, so it follows the caret.
import type { SuggestionOptions, SuggestionProps } from '@tiptap/suggestion'
import { filterPeople } from '../lib/text'

export interface Person { id: string, handle: string, name: string }

export function mentionSuggestion (people: () => Person[]): Omit<SuggestionOptions<Person>, 'editor'> {
  return {
    char: '@',
    items: ({ query }) => filterPeople(people(), query, 8),
    command: ({ editor, range, props }) => {
      editor.chain().focus().insertContentAt(range, [
        { type: 'mention', attrs: { id: (props as any).id, label: (props as any).label } },
        { type: 'text', text: ' ' }
      ]).run()
    },
    render: () => {
      let el: HTMLDivElement | null = null
      let props: SuggestionProps<Person> | null = null
      let index = 0
      const draw = () => {
        if (!el || !props) return
        el.textContent = ''
        if (!props.items.length) {
          const empty = document.createElement('div')
          empty.className = 'suggest-empty'
          empty.textContent = 'No one matches'
          el.appendChild(empty)
        }
        props.items.forEach((p, i) => {
          const b = document.createElement('button')
          b.type = 'button'
          b.className = 'suggest-item' + (i === index ? ' selected' : '')
          b.setAttribute('role', 'option')
          b.setAttribute('aria-selected', String(i === index))
          const strong = document.createElement('strong')
          strong.textContent = p.name
          const small = document.createElement('span')
          small.className = 'muted'
          small.textContent = ` @${p.handle}`
          b.append(strong, small)
          b.onmousedown = (e) => { e.preventDefault(); select(i) }
          el!.appendChild(b)
        })
        place()
      }
      const place = () => {
        const rect = props?.clientRect?.()
        if (!el || !rect) return
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
      // Capture: the editor scrolls inside the page's main area, not the window.
      const onMove = () => place()
      const select = (i: number) => {
        const p = props?.items[i]
        if (p && props) props.command({ id: p.id, label: p.handle } as any)
      }
      return {
        onStart: (p) => {
          props = p
          index = 0
          el = document.createElement('div')
          el.className = 'suggest'
          el.setAttribute('role', 'listbox')
          el.setAttribute('aria-label', 'People')
          el.style.position = 'fixed'
          document.body.appendChild(el)
          document.addEventListener('scroll', onMove, true)
          window.addEventListener('resize', onMove)
          draw()
        },
        onUpdate: (p) => { props = p; index = Math.min(index, Math.max(0, p.items.length - 1)); draw() },
        onKeyDown: ({ event }) => {
          if (!props) return false
          if (event.key === 'ArrowDown') { index = (index + 1) % Math.max(1, props.items.length); draw(); return true }
          if (event.key === 'ArrowUp') { index = (index - 1 + props.items.length) % Math.max(1, props.items.length); draw(); return true }
          if (event.key === 'Enter' || event.key === 'Tab') { select(index); return true }
          if (event.key === 'Escape') { el?.remove(); el = null; return true }
          return false
        },
        onExit: () => {
          document.removeEventListener('scroll', onMove, true)
          window.removeEventListener('resize', onMove)
          el?.remove(); el = null; props = null
        }
      }
    }
  }
}

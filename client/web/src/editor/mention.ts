// @mention suggestions inside the editor: a small listbox under the caret, keyboard driven.
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
        const rect = props.clientRect?.()
        if (rect) {
          el.style.left = `${Math.min(rect.left + window.scrollX, window.innerWidth - 260)}px`
          el.style.top = `${rect.bottom + window.scrollY + 4}px`
        }
      }
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
          document.body.appendChild(el)
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
        onExit: () => { el?.remove(); el = null; props = null }
      }
    }
  }
}

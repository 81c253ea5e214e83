// @mention suggestions inside the editor: people matching what follows the `@`, in the shared
// suggestion list (./suggestList: under the caret, following it as the page scrolls).
import type { SuggestionOptions } from '@tiptap/suggestion'
import { filterPeople } from '../lib/text'
import { suggestList } from './suggestList'

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
    render: suggestList<Person>({
      label: 'People',
      empty: 'No one matches',
      option: (p) => {
        const strong = document.createElement('strong')
        strong.textContent = p.name
        const small = document.createElement('span')
        small.className = 'muted'
        small.textContent = ` @${p.handle}`
        return [strong, small]
      },
      pick: (p) => ({ id: p.id, label: p.handle })
    })
  }
}

// Toggles: Tiptap's details nodes (`details` holding a `detailsSummary` line and a
// `detailsContent` of blocks). Whether a toggle is open is each viewer's own: `persist` stays
// off, so opening one changes only this browser's view and writes nothing into the shared
// document (every toggle starts closed when a document is opened). Its button says whether
// it is open; Mod-Enter with the caret in a toggle opens or closes it.
import { Extension, type Editor } from '@tiptap/core'
import { Details, DetailsContent, DetailsSummary } from '@tiptap/extension-details'

/** The details node around the caret and its DOM (the node view), if any. */
function detailsAtCaret (editor: Editor): HTMLElement | null {
  const { $from } = editor.state.selection
  for (let d = $from.depth; d > 0; d--) {
    if ($from.node(d).type.name !== 'details') continue
    const dom = editor.view.nodeDOM($from.before(d))
    return dom instanceof HTMLElement ? dom : null
  }
  return null
}

/**
 * Opens (`open` true), closes (false) or flips the toggle around the caret; false when there
 * is none. Closing it from inside its content puts the caret at the end of its summary, which
 * stays in view.
 */
export function toggleDetailsAtCaret (editor: Editor, open?: boolean): boolean {
  const dom = detailsAtCaret(editor)
  const button = dom?.querySelector<HTMLButtonElement>(':scope > button')
  if (!dom || !button) return false
  const isOpen = dom.classList.contains('is-open')
  if (open !== undefined && open === isOpen) return true
  const { $from } = editor.state.selection
  if (isOpen) {
    for (let d = $from.depth; d > 0; d--) {
      if ($from.node(d).type.name !== 'details') continue
      const summary = $from.node(d).firstChild
      if (summary && $from.node(d + 1) !== summary) {
        const end = $from.start(d) + summary.nodeSize - 1
        editor.commands.setTextSelection(end)
      }
      break
    }
  }
  button.click()
  return true
}

const ToggleKeys = Extension.create({
  name: 'toggleKeys',
  // Before the hard break's Mod-Enter.
  priority: 1000,
  addKeyboardShortcuts () {
    return {
      'Mod-Enter': () => toggleDetailsAtCaret(this.editor)
    }
  }
})

export function toggleExtensions () {
  return [
    Details.configure({
      persist: false,
      HTMLAttributes: { class: 'toggle' },
      renderToggleButton: ({ element, isOpen }) => {
        element.contentEditable = 'false'
        element.className = 'toggle-button'
        element.setAttribute('aria-expanded', String(isOpen))
        element.setAttribute('aria-label', isOpen ? 'Close toggle' : 'Open toggle')
        element.title = `${isOpen ? 'Close' : 'Open'} (Ctrl+Enter inside it)`
      }
    }),
    DetailsSummary.configure({ HTMLAttributes: { class: 'toggle-summary' } }),
    DetailsContent.configure({ HTMLAttributes: { class: 'toggle-content' } }),
    ToggleKeys
  ]
}

// The slash menu: `/` at the start of a paragraph or after a space lists the blocks a document
// can hold (./slashItems), filtered by what follows it; choosing one (arrows and Enter or Tab,
// or a click) replaces the `/query` with that block, Escape closes the list and leaves the
// text as typed. Shown in the shared suggestion list (./suggestList).
import { Extension, type Editor, type Range } from '@tiptap/core'
import { PluginKey } from '@tiptap/pm/state'
import Suggestion from '@tiptap/suggestion'
import { matchBlocks, type BlockEntry, type BlockId } from './slashItems'
import { suggestList } from './suggestList'
import { toggleDetailsAtCaret } from './toggle'

export interface SlashOptions {
  /** Asks for an image to upload and inserts it; without it the menu offers no image. */
  pickImage?: () => void
}

const RUN: Record<BlockId, (editor: Editor, range: Range, o: SlashOptions) => void> = {
  text: (e, r) => e.chain().focus().deleteRange(r).setParagraph().run(),
  h1: (e, r) => e.chain().focus().deleteRange(r).setHeading({ level: 1 }).run(),
  h2: (e, r) => e.chain().focus().deleteRange(r).setHeading({ level: 2 }).run(),
  h3: (e, r) => e.chain().focus().deleteRange(r).setHeading({ level: 3 }).run(),
  bullets: (e, r) => e.chain().focus().deleteRange(r).toggleBulletList().run(),
  numbers: (e, r) => e.chain().focus().deleteRange(r).toggleOrderedList().run(),
  checklist: (e, r) => e.chain().focus().deleteRange(r).toggleTaskList().run(),
  quote: (e, r) => e.chain().focus().deleteRange(r).setBlockquote().run(),
  code: (e, r) => e.chain().focus().deleteRange(r).setCodeBlock().run(),
  table: (e, r) => e.chain().focus().deleteRange(r).insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run(),
  callout: (e, r) => e.chain().focus().deleteRange(r).setCallout('info').run(),
  'callout-warning': (e, r) => e.chain().focus().deleteRange(r).setCallout('warning').run(),
  'callout-success': (e, r) => e.chain().focus().deleteRange(r).setCallout('success').run(),
  'callout-danger': (e, r) => e.chain().focus().deleteRange(r).setCallout('danger').run(),
  toggle: (e, r) => {
    // A new toggle opens for the person who made it, ready for its content after the summary.
    e.chain().focus().deleteRange(r).setDetails().run()
    toggleDetailsAtCaret(e, true)
  },
  divider: (e, r) => e.chain().focus().deleteRange(r).setHorizontalRule().run(),
  image: (e, r, o) => { e.chain().focus().deleteRange(r).run(); o.pickImage?.() }
}

const slashKey = new PluginKey('slashMenu')

export const SlashMenu = Extension.create<SlashOptions>({
  name: 'slashMenu',

  addOptions () {
    return { pickImage: undefined }
  },

  addProseMirrorPlugins () {
    const options = this.options
    return [
      Suggestion<BlockEntry>({
        editor: this.editor,
        pluginKey: slashKey,
        char: '/',
        allowedPrefixes: [' '],
        // Not inside code, where a slash is just a slash.
        allow: ({ state, range }) => !state.doc.resolve(range.from).parent.type.spec.code,
        items: ({ query }) => matchBlocks(query, !!options.pickImage),
        command: ({ editor, range, props }) => RUN[(props as BlockEntry).id](editor, range, options),
        render: suggestList<BlockEntry>({
          label: 'Blocks',
          empty: 'No block matches',
          option: (b) => {
            const strong = document.createElement('strong')
            strong.textContent = b.label
            const hint = document.createElement('span')
            hint.className = 'suggest-hint'
            hint.textContent = b.hint
            return [strong, hint]
          },
          pick: (b) => b
        })
      })
    ]
  }
})

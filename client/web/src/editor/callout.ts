// Callouts: a box of paragraphs and lists set apart by a tint and a label saying what it is
// (info, warning, success, danger). Stored as the node `callout` with the attribute `kind`;
// rendered as <aside class="callout callout-<kind>" role="note">. Its label is a button that
// changes the kind (the next one in turn) when the document can be edited, so the kind can be
// changed by mouse and, with the caret inside, by Mod-Alt-C (Ctrl+K is the command palette's). Enter on an empty last line
// leaves the callout, as in a list.
import { Node, mergeAttributes } from '@tiptap/core'

export const CALLOUT_KINDS = ['info', 'warning', 'success', 'danger'] as const
export type CalloutKind = typeof CALLOUT_KINDS[number]

export const CALLOUT_LABEL: Record<CalloutKind, string> = {
  info: 'Info',
  warning: 'Warning',
  success: 'Success',
  danger: 'Danger'
}

export function calloutKind (v: unknown): CalloutKind {
  return (CALLOUT_KINDS as readonly unknown[]).includes(v) ? v as CalloutKind : 'info'
}

export function nextCalloutKind (kind: CalloutKind): CalloutKind {
  return CALLOUT_KINDS[(CALLOUT_KINDS.indexOf(kind) + 1) % CALLOUT_KINDS.length]
}

declare module '@tiptap/core' {
  interface Commands<ReturnType> {
    callout: {
      /** Wraps the current block(s) in a callout of `kind`. */
      setCallout: (kind?: CalloutKind) => ReturnType
      /** Changes the kind of the callout around the caret (to `kind`, or the next one). */
      setCalloutKind: (kind?: CalloutKind) => ReturnType
    }
  }
}

export const Callout = Node.create({
  name: 'callout',
  group: 'block',
  content: '(paragraph | bulletList | orderedList | taskList)+',
  defining: true,

  addAttributes () {
    return {
      kind: {
        default: 'info',
        parseHTML: (el) => calloutKind(el.getAttribute('data-kind')),
        renderHTML: () => ({})
      }
    }
  },

  parseHTML () {
    return [{ tag: 'aside[data-kind]' }]
  },

  renderHTML ({ node, HTMLAttributes }) {
    const kind = calloutKind(node.attrs.kind)
    return ['aside', mergeAttributes(HTMLAttributes, { class: `callout callout-${kind}`, role: 'note', 'data-kind': kind }),
      ['span', { class: 'callout-label', contenteditable: 'false' }, CALLOUT_LABEL[kind]],
      ['div', { class: 'callout-body' }, 0]]
  },

  addNodeView () {
    return ({ node, editor, getPos }) => {
      let current = node
      const dom = document.createElement('aside')
      dom.setAttribute('role', 'note')
      // Editable: a button that changes the kind; read-only (a version's preview): a label.
      const editable = editor.isEditable
      const label = document.createElement(editable ? 'button' : 'span')
      if (label instanceof HTMLButtonElement) label.type = 'button'
      label.className = 'callout-label'
      label.contentEditable = 'false'
      label.onmousedown = (e) => e.preventDefault()
      label.onclick = () => {
        const pos = getPos()
        if (!editor.isEditable || typeof pos !== 'number') return
        const kind = nextCalloutKind(calloutKind(current.attrs.kind))
        editor.chain().command(({ tr }) => { tr.setNodeMarkup(pos, undefined, { ...current.attrs, kind }); return true }).run()
      }
      const body = document.createElement('div')
      body.className = 'callout-body'
      dom.append(label, body)
      const draw = () => {
        const kind = calloutKind(current.attrs.kind)
        dom.className = `callout callout-${kind}`
        dom.dataset.kind = kind
        // The note is named by its kind; the button says what a click does.
        dom.setAttribute('aria-label', CALLOUT_LABEL[kind])
        label.textContent = CALLOUT_LABEL[kind]
        if (editable) {
          const next = CALLOUT_LABEL[nextCalloutKind(kind)]
          label.title = `Change to ${next.toLowerCase()}`
          label.setAttribute('aria-label', `${CALLOUT_LABEL[kind]} callout: change to ${next}`)
        }
      }
      draw()
      return {
        dom,
        contentDOM: body,
        update: (updated) => {
          if (updated.type !== current.type) return false
          current = updated
          draw()
          return true
        },
        ignoreMutation: (m) => m.type !== 'selection' && label.contains(m.target)
      }
    }
  },

  addCommands () {
    return {
      setCallout: (kind = 'info') => ({ commands }) => commands.wrapIn(this.name, { kind }),
      setCalloutKind: (kind) => ({ state, tr, dispatch }) => {
        const { $from } = state.selection
        for (let d = $from.depth; d > 0; d--) {
          const n = $from.node(d)
          if (n.type.name !== this.name) continue
          if (dispatch) tr.setNodeMarkup($from.before(d), undefined, { ...n.attrs, kind: kind ?? nextCalloutKind(calloutKind(n.attrs.kind)) })
          return true
        }
        return false
      }
    }
  },

  addKeyboardShortcuts () {
    return {
      'Mod-Alt-c': () => this.editor.commands.setCalloutKind(),
      // Enter on an empty last line leaves the callout (the line moves out below it).
      Enter: () => {
        const { empty, $from } = this.editor.state.selection
        if (!empty || $from.depth < 2 || $from.parent.type.name !== 'paragraph' || $from.parent.content.size) return false
        const box = $from.node(-1)
        if (box.type.name !== this.name || $from.index(-1) !== box.childCount - 1) return false
        return this.editor.commands.lift(this.name)
      }
    }
  }
})

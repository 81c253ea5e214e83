// The collaborative editor: Tiptap (ProseMirror) bound to a Yjs document that the stock
// y-websocket provider syncs over /collab/{doc}, with an IndexedDB copy for offline edits.
//
// "Saved" means durable on the server: the server echoes a client's update only once it is in
// the update log, so we record, per Yjs client id, the highest clock the server has sent back
// (any SyncStep2 or Update) and compare it with our own clock. y-websocket 3 has no such
// status itself (its `synced` turns true once, after the first SyncStep2). An update whose
// echo was lost with its connection is never echoed again (the server already has it, so our
// resync sends nothing new): the state vector of the server's SyncStep1 on each connection
// covers it. The room holds only updates that are stored or being stored, and a failed store
// resets the room and closes every connection, so that vector is as truthful as an echo; it
// is forgotten when its connection closes.
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { TableKit } from '@tiptap/extension-table'
import { TaskList, TaskItem } from '@tiptap/extension-list'
import Image from '@tiptap/extension-image'
import Mention from '@tiptap/extension-mention'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import * as decoding from 'lib0/decoding'
import { readAuthMessage } from 'y-protocols/auth'
import { mentionSuggestion, type Person } from './mention'
import { CommentAnchors } from './comments'
import { Callout } from './callout'
import { toggleExtensions } from './toggle'
import { SlashMenu } from './slash'
import { userColorOnDark } from '../lib/text'

export type SaveState = 'connecting' | 'saving' | 'saved' | 'offline' | 'denied' | 'trashed'

export interface Peer { clientId: number, id: string, name: string, color: string, self: boolean }

export interface CollabOptions {
  element: HTMLElement
  docId: string
  wsBase: string
  token: string | null
  user: { id: string, name: string, color: string }
  editable: boolean
  people: () => Person[]
  uploadImage: (file: File) => Promise<string>
  onSaveState: (s: SaveState) => void
  onPeers: (peers: Peer[]) => void
  onError: (message: string) => void
  /** The document was moved to the trash while open (or is in it): edits are not accepted. */
  onTrashed: () => void
  /** A comment thread's highlighted text was clicked. */
  onCommentActivate?: (thread: string) => void
}

/** The close code the server gives a document's sockets when it is (moved) in the trash. */
export const CLOSE_IN_TRASH = 4410

export interface CollabEditor {
  editor: Editor
  provider: WebsocketProvider
  ydoc: Y.Doc
  setEditable: (v: boolean) => void
  /** Reconnects a document that was moved to the trash and has been restored. */
  resume: () => void
  insertImage: (file: File) => Promise<void>
  destroy: () => void
}

/**
 * What a document may hold — the same for the live editor and a version's read-only preview,
 * so that a preview shows tables, checklists, @mentions, callouts and toggles as the editor
 * does. Headings have three levels (the server's exports and imports know the same).
 */
export function contentExtensions (suggestion?: ReturnType<typeof mentionSuggestion>) {
  return [
    StarterKit.configure({ undoRedo: false, heading: { levels: [1, 2, 3] }, link: { openOnClick: false, autolink: true, HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' } } }),
    TableKit.configure({ table: { resizable: false } }),
    TaskList,
    TaskItem.configure({ nested: true }),
    Image.configure({ allowBase64: false }),
    Mention.configure({ HTMLAttributes: { class: 'mention' }, ...(suggestion ? { suggestion } : {}) }),
    Callout,
    ...toggleExtensions()
  ]
}

/**
 * A read-only editor showing `content` (the ProseMirror JSON of the `default` fragment, as
 * `GET …/content?format=json` gives it), rendered exactly as the live editor renders it.
 */
export function createPreview (element: HTMLElement, content: unknown): Editor {
  return new Editor({
    element,
    editable: false,
    extensions: contentExtensions(),
    content: content as any,
    editorProps: { attributes: { class: 'prose preview', 'aria-label': 'Version text', role: 'document' } }
  })
}

/**
 * Another person's caret with their name. The colour comes from their awareness state as
 * `#rrggbb`; both theme versions go on the element and the stylesheet picks one, so a theme
 * switch needs no redraw (light: the colour with white text; dark: a lighter shade, dark text).
 */
export function renderCaret (user: { name?: string, color?: string }): HTMLElement {
  const color = /^#[0-9a-f]{6}$/i.test(user.color ?? '') ? user.color! : '#555d6b'
  const caret = document.createElement('span')
  caret.className = 'collaboration-carets__caret'
  caret.style.setProperty('--caret', color)
  caret.style.setProperty('--caret-dark', userColorOnDark(color))
  const label = document.createElement('div')
  label.className = 'collaboration-carets__label'
  label.textContent = user.name ?? ''
  caret.append(label)
  return caret
}

/**
 * Wraps the provider's sync handler to record what the server has acknowledged: `acked` the
 * clocks it echoed (SyncStep2, Update), `held` the state vector of its SyncStep1 on the
 * current connection (cleared by the caller when the connection closes).
 */
export function trackAcks (provider: WebsocketProvider, onAck: () => void): { acked: Map<number, number>, held: Map<number, number> } {
  const acked = new Map<number, number>()
  const held = new Map<number, number>()
  const handlers = (provider as any).messageHandlers as any[]
  const original = handlers[0]
  handlers[0] = (encoder: any, decoder: any, p: any, emitSynced: boolean, messageType: number) => {
    try {
      const peek = decoding.clone(decoder)
      const syncType = decoding.readVarUint(peek)
      if (syncType === 0) {
        for (const [client, clock] of Y.decodeStateVector(decoding.readVarUint8Array(peek))) held.set(client, clock)
      } else if (syncType === 1 || syncType === 2) {
        const { to } = Y.parseUpdateMeta(decoding.readVarUint8Array(peek))
        for (const [client, clock] of to) {
          if (clock > (acked.get(client) ?? 0)) acked.set(client, clock)
        }
      }
    } catch {}
    original(encoder, decoder, p, emitSynced, messageType)
    onAck()
  }
  return { acked, held }
}

export function createCollabEditor (o: CollabOptions): CollabEditor {
  const ydoc = new Y.Doc()
  const idb = new IndexeddbPersistence(`atrium-doc-${o.docId}`, ydoc)
  const provider = new WebsocketProvider(o.wsBase + '/collab', o.docId, ydoc, {
    params: o.token ? { token: o.token } : {},
    connect: false,
    maxBackoffTime: 2500
  })
  let denied = false
  let trashed = false
  let online = navigator.onLine
  const { acked, held } = trackAcks(provider, () => update())
  // Every client's content we hold must have come back from the server — not only this
  // session's: edits kept in IndexedDB from an earlier (offline) session carry an older
  // client id. (A pure deletion adds no clock, so it is not tracked separately.)
  const allAcked = () => {
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(ydoc))) {
      if (Math.max(acked.get(client) ?? 0, held.get(client) ?? 0) < clock) return false
    }
    return true
  }
  function update () {
    if (trashed) return o.onSaveState('trashed')
    if (denied) return o.onSaveState('denied')
    if (!online) return o.onSaveState('offline')
    if (!provider.wsconnected) return o.onSaveState(provider.wsconnecting ? 'connecting' : 'offline')
    if (!provider.synced) return o.onSaveState('connecting')
    o.onSaveState(allAcked() ? 'saved' : 'saving')
  }
  provider.on('status', () => update())
  provider.on('sync', () => update())
  ydoc.on('update', () => update())
  const inTrash = () => {
    const already = trashed
    trashed = true
    provider.shouldConnect = false
    provider.disconnect()
    update()
    if (!already) o.onTrashed()
  }
  provider.on('connection-close', (ev: any) => {
    held.clear()
    if (ev?.code === CLOSE_IN_TRASH) return inTrash()
    if (ev && (ev.code === 4401 || ev.code === 4403 || ev.code === 4404)) {
      denied = true
      update()
    }
  })
  // The protocol's auth-denied message: the document is in the trash (said again by the close
  // code that follows), or no access — stop retrying and say so.
  ;(provider as any).messageHandlers[2] = (_encoder: any, decoder: any, p: WebsocketProvider) => {
    readAuthMessage(decoder, p.doc, (_doc, reason) => {
      if (/trash/.test(reason)) return inTrash()
      denied = true
      provider.shouldConnect = false
      provider.disconnect()
      update()
      o.onError('You do not have access to this document.')
    })
  }

  const onOffline = () => { online = false; provider.disconnect(); update() }
  const onOnline = () => { online = true; if (!trashed && !denied) provider.connect(); update() }
  window.addEventListener('offline', onOffline)
  window.addEventListener('online', onOnline)
  if (online) provider.connect()

  const awareness = provider.awareness
  const emitPeers = () => {
    const seen = new Map<string, Peer>()
    awareness.getStates().forEach((state: any, clientId: number) => {
      const u = state?.user
      if (!u?.id) return
      const self = clientId === ydoc.clientID
      if (!seen.has(u.id) || self) seen.set(u.id, { clientId, id: u.id, name: u.name, color: u.color, self })
    })
    o.onPeers([...seen.values()])
  }
  awareness.on('change', emitPeers)

  const editor = new Editor({
    element: o.element,
    editable: o.editable,
    extensions: [
      ...contentExtensions(mentionSuggestion(o.people)),
      Collaboration.configure({ document: ydoc, field: 'default' }),
      CollaborationCaret.configure({ provider, user: o.user, render: renderCaret }),
      CommentAnchors.configure({ onActivate: (thread) => o.onCommentActivate?.(thread) }),
      SlashMenu.configure({ pickImage: () => pickImage() })
    ],
    editorProps: {
      attributes: { class: 'prose', 'aria-label': 'Document text', role: 'textbox', 'aria-multiline': 'true' },
      handlePaste: (_view, event) => {
        const files = [...(event.clipboardData?.files ?? [])].filter((f) => f.type.startsWith('image/'))
        if (!files.length || !editor.isEditable) return false
        for (const f of files) insertImage(f)
        return true
      },
      handleDrop: (_view, event) => {
        const files = [...((event as DragEvent).dataTransfer?.files ?? [])].filter((f) => f.type.startsWith('image/'))
        if (!files.length || !editor.isEditable) return false
        event.preventDefault()
        for (const f of files) insertImage(f)
        return true
      }
    }
  })
  // Keep our user fields on the awareness state (the caret extension sets name and colour).
  awareness.setLocalStateField('user', o.user)
  emitPeers()
  update()

  // The slash menu's "Image": the same upload as the toolbar's, from a file picker.
  function pickImage () {
    const input = document.createElement('input')
    input.type = 'file'
    input.accept = 'image/*'
    input.onchange = () => { const f = input.files?.[0]; if (f) insertImage(f) }
    input.click()
  }

  async function insertImage (file: File): Promise<void> {
    try {
      const src = await o.uploadImage(file)
      editor.chain().focus().setImage({ src, alt: file.name }).run()
    } catch (e) {
      o.onError((e as Error).message || 'The image could not be uploaded.')
    }
  }

  return {
    editor,
    provider,
    ydoc,
    setEditable: (v) => editor.setEditable(v),
    resume: () => {
      if (!trashed) return
      trashed = false
      if (online) provider.connect()
      update()
    },
    insertImage,
    destroy: () => {
      window.removeEventListener('offline', onOffline)
      window.removeEventListener('online', onOnline)
      awareness.off('change', emitPeers)
      editor.destroy()
      provider.destroy()
      idb.destroy()
      ydoc.destroy()
    }
  }
}

export { Y }

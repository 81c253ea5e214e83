// The collaborative editor: Tiptap (ProseMirror) bound to a Yjs document that the stock
// y-websocket provider syncs over /collab/{doc}, with an IndexedDB copy for offline edits.
//
// "Saved" means durable on the server: the server echoes a client's update only once it is in
// the update log, so we record, per Yjs client id, the highest clock the server has sent back
// (any SyncStep2 or Update) and compare it with our own clock. y-websocket 3 has no such
// status itself (its `synced` turns true once, after the first SyncStep2).
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
import { userColorOnDark } from '../lib/text'

export type SaveState = 'connecting' | 'saving' | 'saved' | 'offline' | 'denied'

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
}

export interface CollabEditor {
  editor: Editor
  provider: WebsocketProvider
  ydoc: Y.Doc
  setEditable: (v: boolean) => void
  insertImage: (file: File) => Promise<void>
  destroy: () => void
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

/** Wraps the provider's sync handler to record the clocks the server has echoed back. */
export function trackAcks (provider: WebsocketProvider, onAck: () => void): Map<number, number> {
  const acked = new Map<number, number>()
  const handlers = (provider as any).messageHandlers as any[]
  const original = handlers[0]
  handlers[0] = (encoder: any, decoder: any, p: any, emitSynced: boolean, messageType: number) => {
    try {
      const peek = decoding.clone(decoder)
      const syncType = decoding.readVarUint(peek)
      if (syncType === 1 || syncType === 2) {
        const { to } = Y.parseUpdateMeta(decoding.readVarUint8Array(peek))
        for (const [client, clock] of to) {
          if (clock > (acked.get(client) ?? 0)) acked.set(client, clock)
        }
      }
    } catch {}
    original(encoder, decoder, p, emitSynced, messageType)
    onAck()
  }
  return acked
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
  let online = navigator.onLine
  const acked = trackAcks(provider, () => update())
  // Every client's content we hold must have come back from the server — not only this
  // session's: edits kept in IndexedDB from an earlier (offline) session carry an older
  // client id. (A pure deletion adds no clock, so it is not tracked separately.)
  const allAcked = () => {
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(ydoc))) {
      if ((acked.get(client) ?? 0) < clock) return false
    }
    return true
  }
  function update () {
    if (denied) return o.onSaveState('denied')
    if (!online) return o.onSaveState('offline')
    if (!provider.wsconnected) return o.onSaveState(provider.wsconnecting ? 'connecting' : 'offline')
    if (!provider.synced) return o.onSaveState('connecting')
    o.onSaveState(allAcked() ? 'saved' : 'saving')
  }
  provider.on('status', () => update())
  provider.on('sync', () => update())
  ydoc.on('update', () => update())
  provider.on('connection-close', (ev: any) => {
    if (ev && (ev.code === 4401 || ev.code === 4403 || ev.code === 4404)) {
      denied = true
      update()
    }
  })
  // The protocol's auth-denied message (no access): stop retrying and say so.
  ;(provider as any).messageHandlers[2] = (_encoder: any, decoder: any, p: WebsocketProvider) => {
    readAuthMessage(decoder, p.doc, () => {
      denied = true
      provider.shouldConnect = false
      provider.disconnect()
      update()
      o.onError('You do not have access to this document.')
    })
  }

  const onOffline = () => { online = false; provider.disconnect(); update() }
  const onOnline = () => { online = true; provider.connect(); update() }
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
      StarterKit.configure({ undoRedo: false, link: { openOnClick: false, autolink: true, HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' } } }),
      Collaboration.configure({ document: ydoc, field: 'default' }),
      CollaborationCaret.configure({ provider, user: o.user, render: renderCaret }),
      TableKit.configure({ table: { resizable: false } }),
      TaskList,
      TaskItem.configure({ nested: true }),
      Image.configure({ allowBase64: false }),
      Mention.configure({ HTMLAttributes: { class: 'mention' }, suggestion: mentionSuggestion(o.people) })
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

// Profile pictures, by user id: loaded once for everyone the viewer shares an organisation with
// (`GET /api/v1/me/avatars`), kept current by `user.updated` events, so every `Avatar` — in a
// message, a member list, a task card — draws a picture from the id alone, or initials. Someone
// who joined after the load (first drawn later) makes the list load again, at most every few
// seconds, so their picture shows without a reload.
import { signal } from '@preact/signals'
import { api } from '../lib/api'
import { events, me } from '../lib/session'

/** User id → the URL of their picture (versioned: a new picture is a new URL). */
export const avatarUrls = signal<ReadonlyMap<string, string>>(new Map())

/** The viewer the pictures were loaded for (a log-out and another log-in load anew). */
let loadedFor: string | null = null

/** People drawn so far, and those the last load answered for (with a picture or without). */
const drawn = new Set<string>()
const answered = new Set<string>()
/** Shortest time between two loads for newcomers. */
const AGAIN_AFTER_MS = 5000
let again: ReturnType<typeof setTimeout> | null = null

function load (viewer: string): void {
  api.get<Array<{ user_id: string, avatar_url: string }>>('/api/v1/me/avatars')
    .then((items) => {
      if (loadedFor !== viewer) return
      const known = new Map(avatarUrls.value)
      for (const i of items) known.set(i.user_id, i.avatar_url)
      avatarUrls.value = known
      // Everyone drawn by now was among the people the answer covers (or joined within the
      // moment it took; the next newcomer's load picks them up too).
      for (const id of drawn) answered.add(id)
      for (const i of items) answered.add(i.user_id)
    })
    .catch(() => { if (loadedFor === viewer) loadedFor = null })
}

/** Loads the pictures once per signed-in viewer; `id`: someone being drawn. */
export function ensureAvatars (id?: string): void {
  const viewer = me.value?.user.id
  if (!viewer) return
  if (id) drawn.add(id)
  if (loadedFor !== viewer) {
    loadedFor = viewer
    drawn.clear()
    answered.clear()
    if (id) drawn.add(id)
    load(viewer)
    return
  }
  if (id && !answered.has(id) && again === null) {
    again = setTimeout(() => { again = null; if (loadedFor === viewer) load(viewer) }, AGAIN_AFTER_MS)
  }
}

/** Records a picture change (`null`: removed), the viewer's own or one an event announced. */
export function setAvatarUrl (userId: string, url: string | null | undefined): void {
  const next = new Map(avatarUrls.value)
  if (url) next.set(userId, url)
  else next.delete(userId)
  avatarUrls.value = next
}

// A picture change is announced as `user.updated` with `avatar_url` (null: removed); a name
// change has no such key and leaves the picture alone.
events.on('user.updated', (frame) => {
  const data = frame.data as { id: string, avatar_url?: string | null }
  if ('avatar_url' in data) setAvatarUrl(data.id, data.avatar_url)
})

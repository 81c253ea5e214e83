// Profile pictures, by user id: loaded once for everyone the viewer shares an organisation with
// (`GET /api/v1/me/avatars`), kept current by `user.updated` events, so every `Avatar` — in a
// message, a member list, a task card — draws a picture from the id alone, or initials.
import { signal } from '@preact/signals'
import { api } from '../lib/api'
import { events, me } from '../lib/session'

/** User id → the URL of their picture (versioned: a new picture is a new URL). */
export const avatarUrls = signal<ReadonlyMap<string, string>>(new Map())

/** The viewer the pictures were loaded for (a log-out and another log-in load anew). */
let loadedFor: string | null = null

/** Loads the pictures once per signed-in viewer. */
export function ensureAvatars (): void {
  const viewer = me.value?.user.id
  if (!viewer || loadedFor === viewer) return
  loadedFor = viewer
  api.get<Array<{ user_id: string, avatar_url: string }>>('/api/v1/me/avatars')
    .then((items) => {
      const known = new Map(avatarUrls.value)
      for (const i of items) known.set(i.user_id, i.avatar_url)
      avatarUrls.value = known
    })
    .catch(() => { loadedFor = null })
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

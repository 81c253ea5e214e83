// Recently visited places, which the palette offers first. Every screen that names itself (with
// `useTitle`) is remembered with its address, per signed-in person and on this device only
// (localStorage), newest first, a few of them; visits are per organisation in the palette.
import { me } from '../../lib/session'

export interface Visit { path: string, title: string, at: number }

/** How many places are kept. */
const KEPT = 12

const key = (user: string) => `atrium.recent.${user}`

function read (user: string): Visit[] {
  try {
    const list = JSON.parse(localStorage.getItem(key(user)) ?? '[]')
    return Array.isArray(list) ? list.filter((v) => typeof v?.path === 'string' && typeof v?.title === 'string') : []
  } catch {
    return []
  }
}

/** Remembers the current screen, named `title`. */
export function recordVisit (title: string): void {
  const user = me.value?.user.id
  if (!user || !title) return
  const path = location.pathname + location.search
  const visits = [{ path, title, at: Date.now() }, ...read(user).filter((v) => v.path !== path)].slice(0, KEPT)
  try { localStorage.setItem(key(user), JSON.stringify(visits)) } catch { /* storage full or off: nothing kept */ }
}

/** The places visited in `org`, newest first, without the current one. */
export function recentVisits (org: string): Visit[] {
  const user = me.value?.user.id
  if (!user) return []
  const here = location.pathname + location.search
  return read(user).filter((v) => v.path.startsWith(`/o/${org}/`) && v.path !== here)
}

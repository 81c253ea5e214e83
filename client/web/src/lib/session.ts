// Session-wide state as signals: who is signed in, their orgs, the projects of the current org,
// toasts, the events socket and its connection state. Screens read these; nothing else holds
// global state.
import { signal, computed } from '@preact/signals'
import { api, ApiError, onUnauthorized, setSessionToken, wsUrl, qs } from './api'
import { EventsSocket, type SocketStatus } from './events'
import type { Can, Me, Project, OrgMember, User } from './types'
import { navigate, path } from './router'
import { setSelfHandle } from './markdown'

export const me = signal<Me | null>(null)
export const booted = signal(false)
export const projects = signal<Project[]>([])
export const projectsOrg = signal<string | null>(null)
export const projectsLoading = signal(false)
export const members = signal<OrgMember[]>([])
export const socketStatus = signal<SocketStatus>('stopped')
/** Whether the events socket has ever connected (a server without it is not "lost"). */
export const socketEverOpen = signal(false)
export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine)

export interface Toast { id: number, kind: 'info' | 'error' | 'success', text: string }
export const toasts = signal<Toast[]>([])
let toastSeq = 0
export function toast (text: string, kind: Toast['kind'] = 'info', ms = 5000): void {
  const id = ++toastSeq
  toasts.value = [...toasts.value, { id, kind, text }]
  setTimeout(() => { toasts.value = toasts.value.filter((t) => t.id !== id) }, ms)
}
export function toastError (e: unknown): void {
  const msg = e instanceof ApiError ? e.message : (e as Error)?.message || String(e)
  toast(msg, 'error', 7000)
}

export const events = new EventsSocket({
  url: (last) => wsUrl('/api/v1/events', last ? { last_event_id: String(last) } : {}),
  onStatus: (s) => {
    if (s === 'open') socketEverOpen.value = true
    socketStatus.value = s
  }
})

export const userById = computed(() => {
  const map = new Map<string, User>()
  for (const m of members.value) map.set(m.user.id, m.user)
  if (me.value) map.set(me.value.user.id, me.value.user)
  return map
})

export async function loadMe (): Promise<Me | null> {
  try {
    const m = await api.get<Me>('/api/v1/me')
    me.value = m
    setSelfHandle(m.user.handle)
    events.start()
    return m
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      me.value = null
      return null
    }
    throw e
  } finally {
    booted.value = true
  }
}

export async function refreshMe (): Promise<void> {
  const m = await api.get<Me>('/api/v1/me')
  me.value = m
  setSelfHandle(m.user.handle)
}

/** After a profile change: the new name and handle everywhere (top bar, avatars, own @mentions). */
export function setMeUser (user: User): void {
  const m = me.value
  if (!m) return
  const merged = { ...m.user, ...user, email: user.email ?? m.user.email }
  me.value = { ...m, user: merged }
  setSelfHandle(merged.handle)
  if (members.value.some((x) => x.user.id === merged.id)) {
    members.value = members.value.map((x) => x.user.id === merged.id ? { ...x, user: { ...x.user, name: merged.name, handle: merged.handle } } : x)
  }
}

/** Another tab or member renamed: the new name and handle wherever they show. */
events.on('user.updated', (f) => {
  const u = f.data as { id: string, name: string, handle: string } | undefined
  if (!u?.id) return
  if (me.value?.user.id === u.id) {
    setMeUser({ ...me.value.user, name: u.name, handle: u.handle })
  } else if (members.value.some((x) => x.user.id === u.id)) {
    members.value = members.value.map((x) => x.user.id === u.id ? { ...x, user: { ...x.user, name: u.name, handle: u.handle } } : x)
  }
})

/** E-mails a new verification link; tells the user how it went. */
export async function resendVerification (): Promise<boolean> {
  try {
    await api.post('/api/v1/me/verify-email')
    toast(`We sent a new link to ${me.value?.user.email ?? 'your address'}.`, 'success')
    return true
  } catch (e) {
    if (e instanceof ApiError && e.code === 'already_verified') {
      await refreshMe().catch(() => {})
      toast('Your e-mail address is already verified.', 'success')
      return true
    }
    toastError(e)
    return false
  }
}

export function signedIn (token: string): void {
  setSessionToken(token)
}

export async function logout (): Promise<void> {
  try { await api.post('/api/v1/auth/logout') } catch {}
  endSession()
  navigate('/login')
}

function endSession (): void {
  setSessionToken(null)
  events.stop()
  me.value = null
  projects.value = []
  projectsOrg.value = null
  members.value = []
  try {
    // Offline copies of documents belong to this user only.
    indexedDB.databases?.().then((dbs) => {
      for (const db of dbs) if (db.name?.startsWith('atrium-doc-')) indexedDB.deleteDatabase(db.name)
    }).catch(() => {})
  } catch {}
}

function signedOutElsewhere (): void {
  if (!me.value) return
  endSession()
  const here = path.value
  if (!here.startsWith('/login')) navigate('/login' + qs({ next: here }))
}

onUnauthorized(signedOutElsewhere)
// The events socket was closed because this session was revoked (logged out in another tab,
// password reset, session ended from the settings of another device).
events.on('session.ended', signedOutElsewhere)

export async function loadOrg (orgId: string, force = false): Promise<void> {
  if (!force && projectsOrg.value === orgId) return
  projectsOrg.value = orgId
  projectsLoading.value = true
  try {
    const [p, m] = await Promise.all([
      api.get<{ items: Project[] }>(`/api/v1/orgs/${orgId}/projects`),
      api.get<{ items: OrgMember[] }>(`/api/v1/orgs/${orgId}/members`).catch(() => ({ items: [] as OrgMember[] }))
    ])
    if (projectsOrg.value !== orgId) return
    projects.value = p.items
    members.value = m.items
  } catch (e) {
    toastError(e)
  } finally {
    projectsLoading.value = false
  }
}

/** What the caller may do in an organisation, as the server decided (`can` on /me's orgs):
 * `manage` is members, roles and permissions; `write` is creating projects. */
export function orgCan (orgId: string): Can | undefined {
  return me.value?.orgs.find((o) => o.id === orgId)?.can
}

if (typeof window !== 'undefined') {
  window.addEventListener('online', () => { online.value = true; events.reconnectNow() })
  window.addEventListener('offline', () => { online.value = false })
  // Presence: tell the server when this tab is hidden or shown (and on every (re)connect).
  events.on('hello', () => { events.send({ type: 'presence', status: document.hidden ? 'away' : 'active' }) })
  document.addEventListener('visibilitychange', () => {
    events.send({ type: 'presence', status: document.hidden ? 'away' : 'active' })
  })
}

// Chat state shared by the sidebar, the badges and the chat screens: the org's channels,
// unread and mention counts, notifications, typing and presence — kept current by the events
// socket, refetched on `resync` and after a reconnect.
import { signal, computed } from '@preact/signals'
import { api, ApiError } from '../lib/api'
import { events, me } from '../lib/session'
import type { FrameOf } from '../lib/events'
import type { Channel, Message, Notification, UnreadCounts } from '../lib/types'

export const chatOrg = signal<string | null>(null)
export const channels = signal<Channel[]>([])
export const channelsLoading = signal(false)
/** False when the server has no chat routes (older server). */
export const chatAvailable = signal(true)
export const unread = signal<Record<string, { unread: number, mentions: number }>>({})
export const threadUnread = signal<{ unread: number, mentions: number }>({ unread: 0, mentions: 0 })
export const notifications = signal<Notification[]>([])
export const notificationsNext = signal<string | null>(null)
/** The channel on screen (its new messages are read at once while the tab is visible). */
export const activeChannel = signal<string | null>(null)
/** typing key (channel or channel:thread) → user id → expiry (ms). */
export const typing = signal<Record<string, Record<string, number>>>({})
export const presence = signal<Record<string, string>>({})

export const unreadNotifications = computed(() => notifications.value.filter((n) => !n.read_at).length)
export const totalMentions = computed(() => Object.values(unread.value).reduce((a, c) => a + c.mentions, 0) + threadUnread.value.mentions)

/** The events about messages that an open channel or thread applies to what it shows. */
const MESSAGE_EVENTS = ['message.created', 'message.updated', 'message.deleted', 'thread.updated', 'reaction.updated'] as const
type MessageEventType = typeof MESSAGE_EVENTS[number]
/** A listener's `(type, data)`: checking `type` narrows `data` (a Message, or Reactions). */
type MessageEvent = { [T in MessageEventType]: [type: T, data: FrameOf<T>['data']] }[MessageEventType]
/** Listeners for message events of one channel (the open channel view). */
type MessageListener = (...event: MessageEvent) => void
const messageListeners = new Set<MessageListener>()
export function onChannelEvent (fn: MessageListener): () => void {
  messageListeners.add(fn)
  return () => { messageListeners.delete(fn) }
}
const resyncListeners = new Set<() => void>()
export function onResync (fn: () => void): () => void {
  resyncListeners.add(fn)
  return () => { resyncListeners.delete(fn) }
}

export async function loadChat (orgId: string, force = false): Promise<void> {
  if (!force && chatOrg.value === orgId) return
  chatOrg.value = orgId
  channelsLoading.value = true
  try {
    const [c, u] = await Promise.all([
      api.get<{ items: Channel[] }>(`/api/v1/orgs/${orgId}/channels`),
      api.get<UnreadCounts>(`/api/v1/orgs/${orgId}/unread`).catch(() => null)
    ])
    if (chatOrg.value !== orgId) return
    chatAvailable.value = true
    channels.value = c.items
    if (u) setUnread(u)
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) chatAvailable.value = false
  } finally {
    channelsLoading.value = false
  }
  loadNotifications().catch(() => {})
  api.get<{ items: { user_id: string, status: string }[] }>(`/api/v1/orgs/${orgId}/presence`).then((p) => {
    const map: Record<string, string> = {}
    for (const x of p.items) map[x.user_id] = x.status
    presence.value = map
  }, () => {})
}

function setUnread (u: UnreadCounts): void {
  const map: Record<string, { unread: number, mentions: number }> = {}
  for (const c of u.channels) map[c.channel_id] = { unread: c.unread, mentions: c.mentions }
  unread.value = map
  threadUnread.value = u.threads ?? { unread: 0, mentions: 0 }
}

export async function loadNotifications (): Promise<void> {
  const res = await api.get<{ items: Notification[], next?: string | null }>('/api/v1/notifications?limit=50')
  notifications.value = res.items
  notificationsNext.value = res.next ?? null
}

export async function markNotificationsRead (ids?: string[]): Promise<void> {
  const now = Date.now()
  notifications.value = notifications.value.map((n) => (!ids || ids.includes(n.id)) && !n.read_at ? { ...n, read_at: now } : n)
  await api.post('/api/v1/notifications/read', ids ? { ids } : { all: true })
}

export function upsertChannel (c: Channel): void {
  if (chatOrg.value && c.org_id !== chatOrg.value) return
  const list = channels.value
  const i = list.findIndex((x) => x.id === c.id)
  channels.value = i < 0 ? [...list, c] : list.map((x) => x.id === c.id ? c : x)
}

/** Marks `messageId` (a channel message, or a reply for its thread) read, locally and on the server. */
export async function markRead (channelId: string, messageId: string, isThread = false): Promise<void> {
  if (!isThread) {
    const cur = unread.value[channelId]
    if (cur && (cur.unread || cur.mentions)) unread.value = { ...unread.value, [channelId]: { unread: 0, mentions: 0 } }
  }
  try { await api.post(`/api/v1/channels/${channelId}/read`, { message: messageId }) } catch {}
}

export function channelLabel (c: Channel, selfId?: string, names?: Map<string, { name: string }>): string {
  if (c.kind !== 'dm') return c.name
  const others = (c.member_ids ?? []).filter((id) => id !== selfId)
  if (!others.length) return c.name || 'Notes to self'
  return others.map((id) => names?.get(id)?.name ?? 'someone').join(', ')
}

function bump (m: Message): void {
  const self = me.value?.user.id
  if (!self || m.author.id === self) return
  const visible = activeChannel.value === m.channel_id && typeof document !== 'undefined' && !document.hidden
  if (m.thread_id) {
    const mentioned = m.mentions.includes(self)
    if (mentioned) threadUnread.value = { ...threadUnread.value, mentions: threadUnread.value.mentions + 1 }
    return
  }
  if (visible) return
  const cur = unread.value[m.channel_id] ?? { unread: 0, mentions: 0 }
  const ch = channels.value.find((c) => c.id === m.channel_id)
  const mention = m.mentions.includes(self) || ch?.kind === 'dm'
  unread.value = { ...unread.value, [m.channel_id]: { unread: cur.unread + 1, mentions: cur.mentions + (mention ? 1 : 0) } }
}

let wired = false
export function wireChatEvents (): void {
  if (wired) return
  wired = true
  for (const t of MESSAGE_EVENTS) {
    events.on(t, (f) => { for (const fn of messageListeners) fn(...[f.type, f.data] as MessageEvent) })
  }
  events.on('message.created', (f) => {
    const m = f.data
    bump(m)
    const ch = channels.value.find((c) => c.id === m.channel_id)
    if (ch && !m.thread_id) upsertChannel({ ...ch, last_message_at: m.created_at })
    // Whoever posted is no longer typing.
    clearTyping(m.channel_id, m.thread_id, m.author.id)
  })
  events.on('channel.created', (f) => upsertChannel(f.data))
  events.on('channel.updated', (f) => upsertChannel(f.data))
  events.on('channel.member_added', (f) => {
    if (f.data.user_id === me.value?.user.id && chatOrg.value) loadChat(chatOrg.value, true)
  })
  events.on('channel.member_removed', (f) => {
    if (f.data.user_id === me.value?.user.id) channels.value = channels.value.filter((c) => c.id !== f.data.channel_id)
  })
  events.on('read.updated', (f) => {
    const d = f.data
    if (!d.thread_id) unread.value = { ...unread.value, [d.channel_id]: { unread: 0, mentions: 0 } }
  })
  events.on('notification.created', (f) => {
    const n = f.data
    if (notifications.value.some((x) => x.id === n.id)) return
    notifications.value = [n, ...notifications.value]
    // Already looking at it: no need to raise the bell.
    if (n.channel_id && n.channel_id === activeChannel.value && !n.thread_id && typeof document !== 'undefined' && !document.hidden) {
      markNotificationsRead([n.id]).catch(() => {})
    }
  })
  events.on('notification.read', (f) => {
    const now = Date.now()
    const ids = f.data.all ? undefined : f.data.ids ?? []
    notifications.value = notifications.value.map((n) => (!ids || ids.includes(n.id)) && !n.read_at ? { ...n, read_at: now } : n)
  })
  events.on('typing', (f) => {
    const d = f.data
    if (d.user_id === me.value?.user.id) return
    const key = d.thread_id ? `${d.channel_id}:${d.thread_id}` : d.channel_id
    const cur = { ...(typing.value[key] ?? {}) }
    cur[d.user_id] = Date.now() + 6000
    typing.value = { ...typing.value, [key]: cur }
  })
  events.on('presence', (f) => {
    presence.value = { ...presence.value, [f.data.user_id]: f.data.status }
  })
  const resync = () => {
    if (chatOrg.value) loadChat(chatOrg.value, true)
    for (const fn of resyncListeners) fn()
  }
  events.on('resync', resync)
  let wasOpen = false
  events.on('socket.status', (f) => {
    // After a gap the server replays what was missed (last_event_id); counts are refetched anyway.
    if (f.data.status === 'open' && wasOpen) resync()
    if (f.data.status === 'open') wasOpen = true
  })
  setInterval(() => {
    const now = Date.now()
    let changed = false
    const next: Record<string, Record<string, number>> = {}
    for (const [k, users] of Object.entries(typing.value)) {
      const kept = Object.fromEntries(Object.entries(users).filter(([, exp]) => exp > now))
      if (Object.keys(kept).length !== Object.keys(users).length) changed = true
      if (Object.keys(kept).length) next[k] = kept
    }
    if (changed) typing.value = next
  }, 1000)
}

function clearTyping (channelId: string, threadId: string | null | undefined, userId: string): void {
  const key = threadId ? `${channelId}:${threadId}` : channelId
  const cur = typing.value[key]
  if (!cur || !cur[userId]) return
  const next = { ...cur }
  delete next[userId]
  typing.value = { ...typing.value, [key]: next }
}

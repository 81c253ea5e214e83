// @vitest-environment jsdom
import { describe, it, expect, vi, beforeAll } from 'vitest'
import { events, me } from '../lib/session'
import { activeChannel, channels, notifications, typing, unread, unreadNotifications, wireChatEvents, totalMentions } from './store'
import type { EventType, FrameOf } from '../lib/events'
import type { Channel, Message, Notification } from '../lib/types'

// Each event's data must have its documented (generated) type.
type DataOf<T extends EventType> = FrameOf<T> extends { data: infer D } ? D : never
const emit = <T extends EventType>(type: T, data: DataOf<T>, id?: number) => (events as any).emit({ id, type, data })

function channel (id: string, kind: 'channel' | 'dm' = 'channel'): Channel {
  return { id, org_id: 'o', project_id: 'p', kind, name: id, topic: '', private: false, archived: false, created_by: 'x', created_at: 0, last_message_at: null, member_ids: [], notify: 'all' }
}

function message (id: string, channelId: string, author: string, mentions: string[] = [], thread: string | null = null): Message {
  return { id, channel_id: channelId, org_id: 'o', thread_id: thread, author: { id: author, handle: author, name: author }, text: 'hi', created_at: 1, edited_at: null, deleted: false, mentions, attachments: [], reactions: [], reply_count: 0, last_reply_at: null, participant_ids: [] }
}

beforeAll(() => {
  vi.useFakeTimers()
  vi.stubGlobal('fetch', vi.fn(async () => new Response(null, { status: 204 })))
  me.value = { user: { id: 'me', handle: 'me', name: 'Me', email: 'me@example.com', created_at: 0 }, email_verified: true, totp_enabled: false, orgs: [] }
  channels.value = [channel('c1'), channel('c2'), channel('d1', 'dm')]
  wireChatEvents()
})

describe('chat store', () => {
  it('counts unread messages and mentions from others, not from me', () => {
    emit('message.created', message('m1', 'c1', 'ann'))
    emit('message.created', message('m2', 'c1', 'ann', ['me']))
    emit('message.created', message('m3', 'c1', 'me'))
    expect(unread.value.c1).toEqual({ unread: 2, mentions: 1 })
    // A direct message counts as a mention.
    emit('message.created', message('m4', 'd1', 'ann'))
    expect(unread.value.d1).toEqual({ unread: 1, mentions: 1 })
    expect(totalMentions.value).toBe(2)
  })

  it('does not count the channel on screen, and clears on read from another tab', () => {
    activeChannel.value = 'c2'
    emit('message.created', message('m5', 'c2', 'ann', ['me']))
    expect(unread.value.c2 ?? { unread: 0, mentions: 0 }).toEqual({ unread: 0, mentions: 0 })
    activeChannel.value = null
    emit('read.updated', { channel_id: 'c1', thread_id: null, message_id: 'm2' })
    expect(unread.value.c1).toEqual({ unread: 0, mentions: 0 })
  })

  it('keeps the notification centre current', () => {
    const n: Notification = { id: 'n1', kind: 'mention', org_id: 'o', channel_id: 'c1', message_id: 'm2', thread_id: null, actor: { id: 'ann', handle: 'ann', name: 'Ann' }, snippet: 'hi', created_at: 1, read_at: null }
    emit('notification.created', n, 10)
    emit('notification.created', n, 10)
    expect(notifications.value).toHaveLength(1)
    expect(unreadNotifications.value).toBe(1)
    emit('notification.read', { all: true })
    expect(unreadNotifications.value).toBe(0)
  })

  it('shows who is typing until it expires or they post', () => {
    emit('typing', { channel_id: 'c1', thread_id: null, user_id: 'ann' })
    emit('typing', { channel_id: 'c1', thread_id: 't', user_id: 'bob' })
    emit('typing', { channel_id: 'c1', thread_id: null, user_id: 'me' })
    expect(Object.keys(typing.value.c1)).toEqual(['ann'])
    expect(Object.keys(typing.value['c1:t'])).toEqual(['bob'])
    emit('message.created', message('m6', 'c1', 'ann'))
    expect(typing.value.c1?.ann).toBeUndefined()
    vi.advanceTimersByTime(7000)
    expect(typing.value['c1:t']).toBeUndefined()
  })

  it('adds and updates channels from events', () => {
    emit('channel.created', channel('c3'))
    emit('channel.updated', { ...channel('c3'), name: 'renamed' })
    expect(channels.value.find((c) => c.id === 'c3')?.name).toBe('renamed')
    emit('channel.member_removed', { channel_id: 'c3', user_id: 'me' })
    expect(channels.value.find((c) => c.id === 'c3')).toBeUndefined()
  })
})

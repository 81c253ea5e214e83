// A record's discussion: a chat channel of kind `record` whose id is the record's, shown with
// chat's own message and composer components, so @mentions, reactions, edits, deletions and
// notifications work as in chat. The channel is opened (`POST /records/{id}/discussion`) the
// first time someone looks at the record, not for every record a CSV import makes. Its
// messages reach every reader of the record over the events socket, and are shown at once.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import type { Channel, Message, MessagePage } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { activeChannel, markRead, onChannelEvent, onResync, typing } from '../../chat/store'
import { MessageItem } from '../chat/Message'
import { Composer } from '../chat/Composer'
import { Typing } from '../chat/Typing'
import { ThreadPanel } from '../chat/Thread'
import { replaceIn } from '../chat/messages'
import { recordsApi } from './api'

const PAGE = 50

/** The channel of `recordId`'s discussion: read it, or open it when nobody has yet. */
async function discussionOf (recordId: string): Promise<Channel> {
  try {
    return await api.get<Channel>(`/api/v1/channels/${recordId}`)
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return await recordsApi.openDiscussion(recordId)
    throw e
  }
}

export function RecordDiscussion ({ org, recordId }: { org: string, recordId: string }) {
  const [channel, setChannel] = useState<Channel | null>(null)
  const [items, setItems] = useState<Message[]>([])
  const [moreBefore, setMoreBefore] = useState(false)
  const [older, setOlder] = useState(false)
  const [error, setError] = useState<unknown>(null)
  /** The message whose thread is open in place of the comments. */
  const [thread, setThread] = useState<string | null>(null)
  const scroller = useRef<HTMLDivElement>(null)
  const stick = useRef(true)

  async function load () {
    try {
      const c = await discussionOf(recordId)
      const page = await api.get<MessagePage>(`/api/v1/channels/${c.id}/messages?limit=${PAGE}`)
      setChannel(c)
      setItems(page.items)
      setMoreBefore(page.has_more_before)
      stick.current = true
      setError(null)
    } catch (e) { setError(e) }
  }
  useEffect(() => { setChannel(null); setItems([]); setError(null); setThread(null); load() }, [recordId])
  useEffect(() => onResync(() => load()), [recordId])

  // While the record is on screen its discussion is the channel being read: others' messages
  // raise no unread badge, and the newest one shown is marked read.
  useEffect(() => {
    activeChannel.value = recordId
    return () => { if (activeChannel.value === recordId) activeChannel.value = null }
  }, [recordId])
  const newest = items[items.length - 1]
  useEffect(() => {
    if (!newest) return
    const mark = () => { if (!document.hidden) markRead(recordId, newest.id) }
    mark()
    document.addEventListener('visibilitychange', mark)
    return () => document.removeEventListener('visibilitychange', mark)
  }, [newest?.id, recordId])

  useEffect(() => onChannelEvent((type, data) => {
    if (type === 'reaction.updated') {
      if (data.channel_id === recordId) setItems((list) => list.map((m) => m.id === data.message_id ? { ...m, reactions: data.reactions } : m))
      return
    }
    const m = data as Message
    if (!m || m.channel_id !== recordId || m.thread_id) return
    if (type === 'message.created') setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m])
    else setItems((list) => replaceIn(list, m))
  }), [recordId])

  // Stay at the newest comment when already there; keep the place when earlier ones load.
  const prevHeight = useRef(0)
  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    if (stick.current) el.scrollTop = el.scrollHeight
    else if (prevHeight.current) el.scrollTop += el.scrollHeight - prevHeight.current
    prevHeight.current = 0
  }, [items, thread])
  // Keyboard users land in the thread's reply box, and back on its message when it closes.
  const lastThread = useRef<string | null>(null)
  useEffect(() => {
    if (thread) document.getElementById(`composer-${recordId}-t`)?.focus()
    else if (lastThread.current) scroller.current?.querySelector<HTMLElement>(`[data-message="${lastThread.current}"]`)?.focus()
    lastThread.current = thread
  }, [thread])
  function onScroll () {
    const el = scroller.current!
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
  }
  async function loadOlder () {
    if (older || !items.length) return
    setOlder(true)
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${recordId}/messages?before=${encodeURIComponent(items[0].id)}&limit=${PAGE}`)
      prevHeight.current = scroller.current?.scrollHeight ?? 0
      stick.current = false
      setItems((list) => [...page.items.filter((m) => !list.some((x) => x.id === m.id)), ...list])
      setMoreBefore(page.has_more_before)
    } catch (e) { setError(e) } finally { setOlder(false) }
  }

  const typers = Object.keys(typing.value[recordId] ?? {})
  return (
    <section class='record-discussion' aria-labelledby='record-talk-h'>
      <h2 id='record-talk-h'>Discussion</h2>
      <ErrorBox error={error} retry={load} />
      {!channel && !error && <Spinner />}
      {channel && thread && (
        <div class='record-thread'>
          <ThreadPanel org={org} channel={channel} root={thread} focus={null} onClose={() => setThread(null)} />
        </div>
      )}
      {channel && !thread && (
        <>
          <div class='record-messages' ref={scroller} onScroll={onScroll} role='log' aria-label='Comments' aria-live='polite' tabIndex={0} data-testid='discussion'>
            {moreBefore && <div class='older'>{older ? <Spinner delay={0} label='Loading earlier comments…' /> : <button class='btn btn-small' onClick={loadOlder}>Show earlier comments</button>}</div>}
            {!items.length && <p class='muted small'>No comments yet.</p>}
            {items.map((m, i) => (
              <MessageItem key={m.id} m={m} org={org} focused={false} onThread={() => { stick.current = false; setThread(m.id) }} grouped={i > 0 && items[i - 1].author.id === m.author.id && m.created_at - items[i - 1].created_at < 5 * 60_000 && !items[i - 1].deleted} />
            ))}
          </div>
          <Typing ids={typers} />
          {(channel.can?.comment ?? true)
            ? <Composer channel={channel} label='Comment on this record' onSent={(m) => { stick.current = true; setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m]) }} />
            : <p class='muted small'>You may read this discussion but not take part in it.</p>}
        </>
      )}
    </section>
  )
}

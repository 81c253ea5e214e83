import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { navigate, query } from '../../lib/router'
import { me, userById, toast, toastError } from '../../lib/session'
import type { Channel, Message, MessagePage } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useTitle } from '../../ui/common'
import { channels, activeChannel, onChannelEvent, onResync, markRead, typing, channelLabel } from '../../chat/store'
import { MessageItem } from './Message'
import { Typing } from './Typing'
import { Composer } from './Composer'
import { ThreadPanel } from './Thread'
import { ChannelDetails } from './ChannelDetails'
import { ChannelHeader } from './ChannelHeader'
import { replaceIn } from './messages'

const PAGE = 50

export function ChannelView ({ org, channel }: { org: string, channel: string }) {
  const ch = channels.value.find((c) => c.id === channel)
  const [items, setItems] = useState<Message[]>([])
  const [moreBefore, setMoreBefore] = useState(false)
  const [moreAfter, setMoreAfter] = useState(false)
  const [loading, setLoading] = useState(true)
  const [olderLoading, setOlderLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [thread, setThread] = useState<string | null>(null)
  const [focus, setFocus] = useState<string | null>(null)
  const [channelInfo, setChannelInfo] = useState<Channel | null>(null)
  const [details, setDetails] = useState(false)
  const scroller = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const permalink = query.value.get('m')
  const c = ch ?? channelInfo

  useEffect(() => {
    activeChannel.value = channel
    return () => { if (activeChannel.value === channel) activeChannel.value = null }
  }, [channel])

  useEffect(() => {
    if (!ch) api.get<Channel>(`/api/v1/channels/${channel}`).then(setChannelInfo, () => {})
  }, [channel, !!ch])

  async function loadLatest () {
    setLoading(true)
    setError(null)
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?limit=${PAGE}`)
      setItems(page.items)
      setMoreBefore(page.has_more_before)
      setMoreAfter(false)
      stick.current = true
    } catch (e) { setError(e) } finally { setLoading(false) }
  }

  async function loadAround (id: string) {
    setLoading(true)
    setError(null)
    try {
      const target = await api.get<Message>(`/api/v1/messages/${id}`)
      const anchor = target.thread_id ?? target.id
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?around=${encodeURIComponent(anchor)}&limit=${PAGE}`)
      setItems(page.items)
      setMoreBefore(page.has_more_before)
      setMoreAfter(page.has_more_after)
      stick.current = false
      if (target.thread_id) setThread(target.thread_id)
      setFocus(target.id)
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) toast('That message no longer exists.', 'error')
      await loadLatest()
    } finally { setLoading(false) }
  }

  useEffect(() => {
    setItems([])
    setThread(null)
    setFocus(null)
    if (permalink) loadAround(permalink)
    else loadLatest()
  }, [channel, permalink])

  useEffect(() => onResync(() => { if (!moreAfter) loadLatest() }), [channel, moreAfter])

  // Live updates.
  useEffect(() => onChannelEvent((type, data) => {
    if (type === 'reaction.updated') {
      if (data.channel_id !== channel) return
      setItems((list) => list.map((m) => m.id === data.message_id ? { ...m, reactions: data.reactions } : m))
      return
    }
    const m = data as Message
    if (!m || m.channel_id !== channel) return
    if (type === 'message.created') {
      if (m.thread_id) return
      if (moreAfter) return
      setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m])
    } else if (type === 'message.updated' || type === 'message.deleted' || type === 'thread.updated') {
      if (m.thread_id) return
      setItems((list) => replaceIn(list, m))
    }
  }), [channel, moreAfter])

  // Read marker: the newest message on screen, while the tab is visible.
  const newest = items[items.length - 1]
  useEffect(() => {
    if (!newest || moreAfter) return
    const mark = () => { if (!document.hidden) markRead(channel, newest.id) }
    mark()
    document.addEventListener('visibilitychange', mark)
    return () => document.removeEventListener('visibilitychange', mark)
  }, [newest?.id, channel, moreAfter])

  // Scrolling: stay at the bottom when already there; keep position when older pages load.
  const prevHeight = useRef(0)
  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    if (focus) {
      const target = el.querySelector<HTMLElement>(`[data-message="${focus}"]`)
      if (target) { target.scrollIntoView({ block: 'center' }); target.focus() }
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight
    } else if (prevHeight.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current
    }
    prevHeight.current = 0
  }, [items, focus])

  async function loadOlder () {
    if (olderLoading || !moreBefore || !items.length) return
    setOlderLoading(true)
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?before=${encodeURIComponent(items[0].id)}&limit=${PAGE}`)
      prevHeight.current = scroller.current?.scrollHeight ?? 0
      stick.current = false
      setFocus(null)
      setItems((list) => [...page.items.filter((m) => !list.some((x) => x.id === m.id)), ...list])
      setMoreBefore(page.has_more_before)
    } catch (e) { toastError(e) } finally { setOlderLoading(false) }
  }
  async function loadNewer () {
    if (!moreAfter || !items.length) return
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?after=${encodeURIComponent(items[items.length - 1].id)}&limit=${PAGE}`)
      setItems((list) => [...list, ...page.items.filter((m) => !list.some((x) => x.id === m.id))])
      setMoreAfter(page.has_more_after)
    } catch (e) { toastError(e) }
  }
  function onScroll () {
    const el = scroller.current!
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
    if (el.scrollTop < 120) loadOlder()
    if (stick.current && moreAfter) loadNewer()
  }

  const self = me.value!.user.id
  const title = c ? (c.kind === 'dm' ? channelLabel(c, self, userById.value) : `# ${c.name}`) : ''
  const typers = Object.keys(typing.value[channel] ?? {})
  useTitle(title || 'Chat')
  return (
    <section class={'chat' + (thread ? ' with-thread' : '')}>
      <div class='chat-main'>
        <ChannelHeader channel={c} title={title} onDetails={() => setDetails(true)} />
        <div class='messages' ref={scroller} onScroll={onScroll} role='log' aria-label='Messages' aria-live='polite' data-testid='messages'>
          {moreBefore && <div class='older'>{olderLoading ? <Spinner delay={0} label='Loading older messages…' /> : <button class='btn btn-small' onClick={loadOlder}>Load older messages</button>}</div>}
          {!moreBefore && !loading && items.length > 0 && <p class='muted small center'>This is the beginning of {title}.</p>}
          <ErrorBox error={error} retry={loadLatest} />
          {loading && !items.length && <Spinner />}
          {!loading && !error && !items.length && <Empty title='No messages yet'>Say hello below.</Empty>}
          {items.map((m, i) => (
            <MessageItem key={m.id} m={m} org={org} grouped={i > 0 && items[i - 1].author.id === m.author.id && m.created_at - items[i - 1].created_at < 5 * 60_000 && !items[i - 1].deleted} focused={focus === m.id} onThread={() => setThread(m.id)} />
          ))}
          {moreAfter && <div class='older'><button class='btn btn-small' onClick={loadNewer}>Load newer messages</button></div>}
        </div>
        <Typing ids={typers} />
        {c && !c.archived
          ? <Composer channel={c} label={`Message ${title}`} onSent={(m) => { stick.current = true; setFocus(null); if (!moreAfter) setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m]); else { navigate(`/o/${org}/chat/${channel}`) } }} />
          : c?.archived ? <p class='muted pad'>This channel is archived.</p> : null}
      </div>
      {details && c && <ChannelDetails org={org} channel={c} onClose={() => setDetails(false)} />}
      {thread && c && <ThreadPanel org={org} channel={c} root={thread} focus={focus} onClose={() => setThread(null)} />}
    </section>
  )
}

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { Channel, Message } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { onChannelEvent, onResync, markRead, typing } from '../../chat/store'
import { MessageItem } from './Message'
import { Typing } from './Typing'
import { Composer } from './Composer'
import { replaceIn } from './messages'

export function ThreadPanel ({ org, channel, root, focus, onClose }: { org: string, channel: Channel, root: string, focus: string | null, onClose: () => void }) {
  const [data, setData] = useState<{ root: Message, items: Message[] } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [following, setFollowing] = useState<boolean | null>(null)
  const list = useRef<HTMLDivElement>(null)
  async function load () {
    try {
      const t = await api.get<{ root: Message, items: Message[], following?: boolean }>(`/api/v1/messages/${root}/thread`)
      setData(t)
      setFollowing(!!t.following)
      setError(null)
    } catch (e) { setError(e) }
  }
  useEffect(() => { setData(null); load() }, [root])
  useEffect(() => onResync(load), [root])
  useEffect(() => onChannelEvent((type, d) => {
    if (type === 'reaction.updated') {
      setData((t) => t && { root: t.root.id === d.message_id ? { ...t.root, reactions: d.reactions } : t.root, items: t.items.map((m) => m.id === d.message_id ? { ...m, reactions: d.reactions } : m) })
      return
    }
    const m = d as Message
    if (m.id === root) { setData((t) => t && { ...t, root: m }); return }
    if (m.thread_id !== root) return
    if (type === 'message.created') setData((t) => t && (t.items.some((x) => x.id === m.id) ? t : { ...t, items: [...t.items, m] }))
    else setData((t) => t && { ...t, items: replaceIn(t.items, m) })
  }), [root])
  const last = data?.items[data.items.length - 1]
  useEffect(() => { if (last) markRead(channel.id, last.id, true) }, [last?.id])
  useLayoutEffect(() => {
    const el = list.current
    if (!el) return
    const f = focus && el.querySelector<HTMLElement>(`[data-message="${focus}"]`)
    if (f) f.scrollIntoView({ block: 'center' })
    else el.scrollTop = el.scrollHeight
  }, [data?.items.length])
  async function toggleFollow () {
    try {
      if (following) await api.del(`/api/v1/messages/${root}/follow`)
      else await api.post(`/api/v1/messages/${root}/follow`)
      setFollowing(!following)
    } catch (e) { toastError(e) }
  }
  const typers = Object.keys(typing.value[`${channel.id}:${root}`] ?? {})
  return (
    <aside class='thread' aria-label='Thread'>
      <header class='chat-head'>
        <h2>Thread</h2>
        <div class='row'>
          <button class='btn btn-small' onClick={toggleFollow}>{following ? 'Unfollow' : 'Follow'}</button>
          <button class='btn-icon' aria-label='Close thread' onClick={onClose}>×</button>
        </div>
      </header>
      <div class='messages' ref={list}>
        <ErrorBox error={error} retry={load} />
        {!data && !error && <Spinner />}
        {data && <MessageItem m={data.root} org={org} grouped={false} focused={focus === data.root.id} inThread />}
        {data && <div class='thread-divider muted small'>{data.items.length} {data.items.length === 1 ? 'reply' : 'replies'}</div>}
        {data?.items.map((m) => <MessageItem key={m.id} m={m} org={org} grouped={false} focused={focus === m.id} inThread />)}
      </div>
      <Typing ids={typers} />
      <Composer channel={channel} thread={root} label='Reply…' onSent={(m) => setData((t) => t && (t.items.some((x) => x.id === m.id) ? t : { ...t, items: [...t.items, m] }))} />
    </aside>
  )
}

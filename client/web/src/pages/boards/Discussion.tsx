// A task's discussion: a channel of the chat machinery (`discussion_channel`), shown with
// chat's own message and composer components, so @mentions, reactions, edits and
// notifications work as in chat; new messages arrive live.
import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import type { Channel, Message, MessagePage } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { onChannelEvent } from '../../chat/store'
import { MessageItem } from '../chat/Message'
import { Composer } from '../chat/Composer'
import { replaceIn } from '../chat/messages'

export function Discussion ({ org, channelId }: { org: string, channelId: string }) {
  const [channel, setChannel] = useState<Channel | null>(null)
  const [items, setItems] = useState<Message[]>([])
  const [error, setError] = useState<unknown>(null)
  async function load () {
    try {
      const [c, page] = await Promise.all([
        api.get<Channel>(`/api/v1/channels/${channelId}`),
        api.get<MessagePage>(`/api/v1/channels/${channelId}/messages?limit=50`)
      ])
      setChannel(c)
      setItems(page.items)
      setError(null)
    } catch (e) { setError(e) }
  }
  useEffect(() => { setChannel(null); setItems([]); load() }, [channelId])
  useEffect(() => onChannelEvent((type, data) => {
    if (type === 'reaction.updated') {
      if (data.channel_id === channelId) setItems((list) => list.map((m) => m.id === data.message_id ? { ...m, reactions: data.reactions } : m))
      return
    }
    const m = data as Message
    if (!m || m.channel_id !== channelId || m.thread_id) return
    if (type === 'message.created') setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m])
    else setItems((list) => replaceIn(list, m))
  }), [channelId])
  return (
    <section class='task-section' aria-labelledby='task-talk-h'>
      <h3 id='task-talk-h'>Discussion</h3>
      <ErrorBox error={error} retry={load} />
      {!channel && !error && <Spinner />}
      <div class='task-discussion' data-testid='discussion'>
        {items.map((m, i) => <MessageItem key={m.id} m={m} org={org} grouped={i > 0 && items[i - 1].author.id === m.author.id} focused={false} />)}
      </div>
      {channel && <Composer channel={channel} label='Comment on the task' onSent={(m) => setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m])} />}
    </section>
  )
}

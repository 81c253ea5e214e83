import { api } from '../../lib/api'
import { me, userById, toastError } from '../../lib/session'
import type { Channel, NotifyLevel } from '../../lib/types'
import { PresenceDot } from '../../ui/common'
import { upsertChannel, presence } from '../../chat/store'

/** A channel's title and topic, with the caller's controls for it: details and notification level. */
export function ChannelHeader ({ channel: c, title, onDetails }: { channel: Channel | null, title: string, onDetails: () => void }) {
  const self = me.value!.user.id
  async function setNotify (channel: Channel, level: NotifyLevel) {
    try {
      await api.put(`/api/v1/channels/${channel.id}/notify`, { level })
      upsertChannel({ ...channel, notify: level })
    } catch (e) { toastError(e) }
  }
  return (
    <header class='chat-head'>
      <div>
        <h1 class='chat-title'>{title}</h1>
        {c?.topic && <p class='muted small chat-topic'>{c.topic}</p>}
      </div>
      {c && (
        <div class='row'>
          {c.kind === 'dm' && (c.member_ids ?? []).filter((id) => id !== self).map((id) => <PresenceDot key={id} status={presence.value[id]} name={userById.value.get(id)?.name} />)}
          <button class='btn btn-small' onClick={onDetails}>{c.kind === 'dm' ? 'Details' : 'Channel details'}</button>
          <label class='sr-only' for='notify-level'>Notifications for this channel</label>
          <select id='notify-level' value={c.notify} onChange={(e) => setNotify(c, e.currentTarget.value as NotifyLevel)} title='Notifications'>
            <option value='all'>Notify: all</option>
            <option value='mentions'>Notify: mentions</option>
            <option value='none'>Notify: none</option>
          </select>
        </div>
      )}
    </header>
  )
}

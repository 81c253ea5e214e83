import { path } from '../../lib/router'
import { plural } from '../../lib/text'
import { me, userById } from '../../lib/session'
import { Badge, PresenceDot } from '../../ui/common'
import { channels, unread, channelLabel, totalMentions, presence } from '../../chat/store'

/** The sidebar's channels and direct messages, with unread and mention badges. */
export function ChannelList ({ org, onNew }: { org: string, onNew: (d: 'channel' | 'dm') => void }) {
  const list = channels.value.filter((c) => !c.archived)
  const chans = list.filter((c) => c.kind === 'channel').sort((a, b) => a.name.localeCompare(b.name))
  const dms = list.filter((c) => c.kind === 'dm').sort((a, b) => (b.last_message_at ?? 0) - (a.last_message_at ?? 0))
  const self = me.value?.user.id
  const item = (c: typeof list[number]) => {
    const u = unread.value[c.id]
    const active = path.value === `/o/${org}/chat/${c.id}`
    // A one-to-one conversation shows whether the other person is around.
    const others = c.kind === 'dm' ? (c.member_ids ?? []).filter((id) => id !== self) : []
    return (
      <a key={c.id} class={'nav-item nav-channel' + (active ? ' active' : '') + (u?.unread ? ' unread' : '')} href={`/o/${org}/chat/${c.id}`} data-channel={c.id}>
        {others.length === 1 && <PresenceDot status={presence.value[others[0]]} decorative />}
        <span class='nav-label'>{c.kind === 'dm' ? '' : c.private ? '🔒 ' : '# '}{channelLabel(c, self, userById.value)}</span>
        {u?.mentions ? <Badge count={u.mentions} mention /> : u?.unread ? <Badge count={u.unread} /> : null}
      </a>
    )
  }
  return (
    <>
      <div class='nav-group'>
        <div class='nav-heading'>Channels <button class='btn-icon btn-tiny' aria-label='New channel' onClick={() => onNew('channel')}>+</button>{totalMentions.value > 0 && <span class='sr-only'>{plural(totalMentions.value, 'mention', 'mentions')}</span>}</div>
        {chans.map(item)}
        {!chans.length && <p class='muted small pad'>No channels yet.</p>}
      </div>
      <div class='nav-group'>
        <div class='nav-heading'>Direct messages <button class='btn-icon btn-tiny' aria-label='New direct message' onClick={() => onNew('dm')}>+</button></div>
        {dms.map(item)}
      </div>
    </>
  )
}

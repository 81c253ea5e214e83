import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { navigate } from '../../lib/router'
import { me, members, toast, toastError } from '../../lib/session'
import type { Channel } from '../../lib/types'
import { Avatar, ErrorBox, Field, Modal, PresenceDot, Spinner, useSubmit } from '../../ui/common'
import { channels, upsertChannel, presence } from '../../chat/store'

export function ChannelDetails ({ org, channel, onClose }: { org: string, channel: Channel, onClose: () => void }) {
  const [name, setName] = useState(channel.name)
  const [topic, setTopic] = useState(channel.topic)
  const [people, setPeople] = useState<{ id: string, name: string, handle: string }[] | null>(null)
  const [adding, setAdding] = useState('')
  const s = useSubmit()
  const self = me.value!.user.id
  const loadMembers = () => api.get<{ items: { id: string, name: string, handle: string }[] }>(`/api/v1/channels/${channel.id}/members`).then((r) => setPeople(r.items), toastError)
  useEffect(() => { loadMembers() }, [channel.id])
  async function save (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.patch<Channel>(`/api/v1/channels/${channel.id}`, { name, topic }))
    if (c) { upsertChannel(c); toast('Channel updated', 'success') }
  }
  async function archive () {
    const c = await s.run(() => api.patch<Channel>(`/api/v1/channels/${channel.id}`, { archived: !channel.archived }))
    if (c) { upsertChannel(c); onClose() }
  }
  async function add () {
    if (!adding) return
    try { await api.post(`/api/v1/channels/${channel.id}/members`, { user_ids: [adding] }); setAdding(''); loadMembers() } catch (e) { toastError(e) }
  }
  async function remove (id: string) {
    try {
      await api.del(`/api/v1/channels/${channel.id}/members/${id}`)
      if (id === self) { channels.value = channels.value.filter((c) => c.id !== channel.id); onClose(); navigate(`/o/${org}/chat`) } else loadMembers()
    } catch (e) { toastError(e) }
  }
  const candidates = members.value.filter((m) => !people?.some((p) => p.id === m.user.id))
  return (
    <Modal title={channel.kind === 'dm' ? 'Conversation' : `# ${channel.name}`} onClose={onClose}>
      {channel.kind === 'channel' && (
        <form class='stack' onSubmit={save}>
          <Field label='Name' name='ch-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
          <Field label='Topic' name='ch-topic' value={topic} onInput={(e) => setTopic(e.currentTarget.value)} error={s.fields.topic} />
          <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
          <div class='row-end'><button type='button' class='btn' onClick={archive}>{channel.archived ? 'Unarchive' : 'Archive'}</button><button class='btn btn-primary' disabled={s.pending}>Save</button></div>
        </form>
      )}
      <h3>Members</h3>
      {!people
        ? <Spinner />
        : (
          <ul class='list'>
            {people.map((p) => (
              <li key={p.id} class='list-row'>
                <Avatar id={p.id} name={p.name} size={24} />
                <span class='grow'>{p.name} <span class='muted'>@{p.handle}</span></span>
                <PresenceDot status={presence.value[p.id]} name={p.name} />
                {(channel.private || p.id === self) && channel.kind === 'channel' && <button class='btn btn-small' onClick={() => remove(p.id)}>{p.id === self ? 'Leave' : 'Remove'}</button>}
              </li>
            ))}
          </ul>
          )}
      {channel.private && channel.kind === 'channel' && (
        <div class='row' style={{ marginTop: '10px' }}>
          <label class='sr-only' for='ch-add'>Add someone</label>
          <select id='ch-add' value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            <option value=''>Add someone…</option>
            {candidates.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
          </select>
          <button class='btn' onClick={add} disabled={!adding}>Add</button>
        </div>
      )}
    </Modal>
  )
}

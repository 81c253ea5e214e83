import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { navigate } from '../../lib/router'
import { me, members } from '../../lib/session'
import type { Channel } from '../../lib/types'
import { filterPeople } from '../../lib/text'
import { Avatar, ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { upsertChannel } from '../../chat/store'

export function NewDmDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [picked, setPicked] = useState<string[]>([])
  const [filter, setFilter] = useState('')
  const s = useSubmit()
  const self = me.value!.user.id
  const people = filterPeople(members.value.map((m) => m.user).filter((u) => u.id !== self), filter, 50)
  async function submit (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.post<Channel>(`/api/v1/orgs/${org}/dms`, { user_ids: picked }))
    if (c) { upsertChannel(c); onClose(); navigate(`/o/${org}/chat/${c.id}`) }
  }
  return (
    <Modal title='New direct message' onClose={onClose}>
      <form class='stack' onSubmit={submit}>
        <Field label='Find people' name='dm-filter' value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        <ul class='list pick-list'>
          {people.map((u) => (
            <li key={u.id} class='list-row'>
              <label class='check grow'>
                <input type='checkbox' checked={picked.includes(u.id)} onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, u.id] : picked.filter((x) => x !== u.id))} />
                <Avatar id={u.id} name={u.name} size={24} /> {u.name} <span class='muted'>@{u.handle}</span>
              </label>
            </li>
          ))}
          {!people.length && <li class='muted pad'>No one matches.</li>}
        </ul>
        <ErrorBox error={s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending || !picked.length}>Open conversation</button></div>
      </form>
    </Modal>
  )
}

import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { navigate } from '../../lib/router'
import { projects } from '../../lib/session'
import type { Channel } from '../../lib/types'
import { Empty, ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { upsertChannel } from '../../chat/store'

export function NewChannelDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [name, setName] = useState('')
  const [topic, setTopic] = useState('')
  const [priv, setPriv] = useState(false)
  const [project, setProject] = useState(projects.value[0]?.id ?? '')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.post<Channel>(`/api/v1/projects/${project}/channels`, { name, topic, private: priv }))
    if (c) { upsertChannel(c); onClose(); navigate(`/o/${org}/chat/${c.id}`) }
  }
  return (
    <Modal title='New channel' onClose={onClose}>
      {!projects.value.length
        ? (
          <Empty title='Create a project first'>
            Channels belong to a project.{' '}
            <button type='button' class='btn btn-primary' onClick={() => { onClose(); navigate(`/o/${org}?new=project`) }}>Create a project</button>
          </Empty>
          )
        : (
          <form class='stack' onSubmit={submit}>
            <div class='field'>
              <label for='ch-project'>Project</label>
              <select id='ch-project' value={project} onChange={(e) => setProject(e.currentTarget.value)}>{projects.value.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select>
            </div>
            <Field label='Name' name='channel-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
            <Field label='Topic (optional)' name='channel-topic' value={topic} onInput={(e) => setTopic(e.currentTarget.value)} error={s.fields.topic} />
            <label class='check'><input type='checkbox' checked={priv} onChange={(e) => setPriv(e.currentTarget.checked)} /> Private: only invited members can see it</label>
            <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
            <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Create</button></div>
          </form>
          )}
    </Modal>
  )
}

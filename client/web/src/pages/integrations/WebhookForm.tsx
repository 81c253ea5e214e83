import { useState } from 'preact/hooks'
import { projects } from '../../lib/session'
import { ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { EventPicker } from './EventPicker'
import { createWebhook, updateWebhook, type Webhook, type WebhookSecret } from './api'

/**
 * Creates a webhook (`hook` absent) or edits one: URL, description, project (at creation),
 * events and an optional filter on the event's data. `onSaved` gets the new secret when one
 * was created.
 */
export function WebhookForm ({ org, hook, onClose, onSaved }: {
  org: string
  hook?: Webhook
  onClose: () => void
  onSaved: (created?: WebhookSecret) => void
}) {
  const [url, setUrl] = useState(hook?.url ?? '')
  const [description, setDescription] = useState(hook?.description ?? '')
  const [project, setProject] = useState(hook?.project ?? '')
  const [events, setEvents] = useState<string[]>(hook?.events ?? ['task.*'])
  const [filter, setFilter] = useState(hook?.filter ? JSON.stringify(hook.filter) : '')
  const [filterError, setFilterError] = useState('')
  const s = useSubmit()

  function parsedFilter (): Record<string, unknown> | null | undefined {
    if (!filter.trim()) return null
    try {
      const value = JSON.parse(filter)
      if (value && typeof value === 'object' && !Array.isArray(value)) return value
    } catch {}
    setFilterError('A JSON object of fields and the values they must hold, e.g. {"state": "paid"}')
    return undefined
  }

  async function save (e: Event) {
    e.preventDefault()
    setFilterError('')
    const f = parsedFilter()
    if (f === undefined) return
    if (hook) {
      const r = await s.run(() => updateWebhook(hook.id, { url, description, events, filter: f }))
      if (r) onSaved()
    } else {
      const r = await s.run(() => createWebhook(org, {
        url,
        description,
        events,
        ...(project ? { project } : {}),
        ...(f ? { filter: f } : {})
      }))
      if (r) onSaved(r)
    }
  }

  const title = hook ? 'Edit webhook' : 'New webhook'
  return (
    <Modal title={title} onClose={onClose} wide>
      <form class='stack' onSubmit={save}>
        <Field label='Endpoint URL' name='webhook-url' type='url' required value={url} placeholder='https://example.com/atrium' onInput={(e) => setUrl(e.currentTarget.value)} error={s.fields.url} hint='Events are POSTed here, signed by the Standard Webhooks scheme.' />
        <Field label='Description' name='webhook-description' value={description} onInput={(e) => setDescription(e.currentTarget.value)} error={s.fields.description} />
        {!hook && (
          <div class={'field' + (s.fields.project ? ' field-invalid' : '')}>
            <label for='webhook-project'>Scope</label>
            <select id='webhook-project' value={project} onChange={(e) => setProject(e.currentTarget.value)}>
              <option value=''>The whole organisation</option>
              {projects.value.map((p) => <option key={p.id} value={p.id}>Project {p.name}</option>)}
            </select>
            {s.fields.project && <small class='field-error' role='alert'>{s.fields.project}</small>}
          </div>
        )}
        <EventPicker chosen={events} onChange={setEvents} error={s.fields.events} />
        <Field label='Filter (optional)' name='webhook-filter' value={filter} placeholder='{"state": "paid"}' onInput={(e) => setFilter(e.currentTarget.value)} error={filterError || s.fields.filter} hint="Only events whose data holds these values." />
        <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={s.pending}>{hook ? 'Save webhook' : 'Create webhook'}</button>
        </div>
      </form>
    </Modal>
  )
}

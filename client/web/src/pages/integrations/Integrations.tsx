import { useState } from 'preact/hooks'
import { orgCan, projects, toast, toastError } from '../../lib/session'
import { formatTime } from '../../lib/text'
import { Empty, ErrorBox, SecretOnce, Spinner, confirmDialog, useAsync, useTitle } from '../../ui/common'
import { DeliveryLog } from './DeliveryLog'
import { OrgTokens } from './OrgTokens'
import { WebhookForm } from './WebhookForm'
import { deleteWebhook, listWebhooks, rotateSecret, updateWebhook, type Webhook, type WebhookSecret } from './api'

/**
 * Settings → Integrations: the organisation's webhooks (admins). Create with an event picker,
 * edit, activate or deactivate, rotate the secret (shown once, as at creation), delete, and
 * each one's delivery log with "send test event" and redelivery.
 */
export function Integrations ({ org }: { org: string }) {
  useTitle('Integrations')
  const hooks = useAsync((signal) => listWebhooks(org, signal), [org])
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null)
  const [secret, setSecret] = useState<WebhookSecret | null>(null)
  const [shown, setShown] = useState<string | null>(null)

  async function toggle (h: Webhook) {
    try {
      await updateWebhook(h.id, { active: !h.active })
      toast(h.active ? 'Webhook deactivated' : 'Webhook activated', 'success')
      hooks.reload()
    } catch (e) { toastError(e) }
  }
  async function rotate (h: Webhook) {
    const ok = await confirmDialog({
      title: 'Rotate the signing secret?',
      message: 'A new secret is made. For the next 24 hours deliveries are signed with both, so receivers can switch without missing any.',
      action: 'Rotate secret'
    })
    if (!ok) return
    try { setSecret(await rotateSecret(h.id)); hooks.reload() } catch (e) { toastError(e) }
  }
  async function remove (h: Webhook) {
    const ok = await confirmDialog({ title: 'Delete this webhook?', message: `${h.url} gets no more events, and its delivery log is deleted.`, action: 'Delete webhook', danger: true })
    if (!ok) return
    try { await deleteWebhook(h.id); hooks.reload() } catch (e) { toastError(e) }
  }
  const projectName = (id?: string | null) => projects.value.find((p) => p.id === id)?.name ?? id

  if (orgCan(org) && !orgCan(org)?.manage) {
    return <section class='page'><h1>Integrations</h1><Empty title='Only the organisation’s owners and admins manage its webhooks' /></section>
  }
  return (
    <section class='page'>
      <div class='page-head row'>
        <h1 class='grow'>Integrations</h1>
        <button type='button' class='btn btn-primary' onClick={() => setEditing('new')}>New webhook</button>
      </div>
      <p class='muted'>Webhooks send the organisation’s events to other systems as they happen, signed by the Standard Webhooks scheme, in order, retried for 24 hours when the endpoint fails.</p>
      {secret && <SecretOnce what='signing secret' value={secret.secret} testId='webhook-secret' onDone={() => setSecret(null)} />}
      {!hooks.data
        ? (hooks.error ? <ErrorBox error={hooks.error} retry={hooks.reload} /> : <Spinner />)
        : !hooks.data.length
            ? <Empty title='No webhooks yet' />
            : (
              <ul class='list' aria-label='Webhooks'>
                {hooks.data.map((h) => (
                  <li key={h.id} class='stack card' data-testid='webhook'>
                    <div class='row wrap'>
                      <div class='grow stack'>
                        <strong class='file-name'>{h.url}</strong>
                        <span class='muted small'>
                          {h.description ? `${h.description} · ` : ''}
                          {h.project ? `project ${projectName(h.project)}` : 'whole organisation'}
                          {' · '}{h.events.join(', ')}
                          {h.filter ? ` · filter ${JSON.stringify(h.filter)}` : ''}
                          {' · created '}{formatTime(h.created_at)}
                        </span>
                        {!h.active && <span class='small field-error' data-testid='webhook-inactive'>{h.disabled_reason ? `Disabled: ${h.disabled_reason}` : 'Inactive'}</span>}
                      </div>
                      <span class='role-chip'>{h.active ? 'Active' : 'Inactive'}</span>
                    </div>
                    <div class='row wrap'>
                      <button type='button' class='btn btn-small' aria-expanded={shown === h.id} onClick={() => setShown(shown === h.id ? null : h.id)}>{shown === h.id ? 'Hide deliveries' : 'Deliveries'}</button>
                      <button type='button' class='btn btn-small' onClick={() => setEditing(h)}>Edit</button>
                      <button type='button' class='btn btn-small' onClick={() => toggle(h)}>{h.active ? 'Deactivate' : 'Activate'}</button>
                      <button type='button' class='btn btn-small' onClick={() => rotate(h)}>Rotate secret</button>
                      <button type='button' class='btn btn-small btn-danger' onClick={() => remove(h)}>Delete</button>
                    </div>
                    {shown === h.id && <DeliveryLog hook={h} />}
                  </li>
                ))}
              </ul>
              )}
      <OrgTokens org={org} />
      {editing && (
        <WebhookForm
          org={org}
          hook={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={(created) => {
            setEditing(null)
            if (created) setSecret(created)
            else toast('Webhook saved', 'success')
            hooks.reload()
          }}
        />
      )}
    </section>
  )
}

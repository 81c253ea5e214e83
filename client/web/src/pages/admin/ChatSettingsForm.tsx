import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { orgCan, toast } from '../../lib/session'
import type { ChatSettings, OrgRole } from '../../lib/types'
import { ErrorBox, Field, Spinner, useAsync, useSubmit } from '../../ui/common'
import { ORG_ROLES } from './roleNames'

/** Who may mention everyone in chat, and above how many recipients the poster is warned. */
export function ChatSettingsForm ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const current = useAsync((signal) => api.get<ChatSettings>(`/api/v1/orgs/${org}/chat-settings`, { signal }), [org])
  const [roles, setRoles] = useState<OrgRole[] | null>(null)
  const [warn, setWarn] = useState<string | null>(null)
  const s = useSubmit()
  const data = current.data
  const shownRoles = roles ?? data?.mention_all_roles ?? []
  const shownWarn = warn ?? (data ? String(data.mention_all_warn_above) : '')
  const dirty = !!data && (roles !== null || warn !== null)
  function toggle (r: OrgRole, on: boolean) {
    const next = on ? [...shownRoles.filter((x) => x !== r), r] : shownRoles.filter((x) => x !== r)
    setRoles(ORG_ROLES.filter((x) => next.includes(x)))
  }
  async function save (e: Event) {
    e.preventDefault()
    const n = Number(shownWarn)
    const saved = await s.run(() => api.put<ChatSettings>(`/api/v1/orgs/${org}/chat-settings`, {
      mention_all_roles: shownRoles,
      mention_all_warn_above: shownWarn.trim() === '' || !Number.isFinite(n) ? -1 : Math.trunc(n)
    }))
    if (saved) {
      current.setData(() => saved)
      setRoles(null)
      setWarn(null)
      toast('Chat settings saved', 'success')
    }
  }
  if (current.loading && !data) return <Spinner />
  if (current.error) return <ErrorBox error={current.error} retry={current.reload} />
  return (
    <form class='stack narrow-form' onSubmit={save} aria-labelledby='chat-settings-heading' data-testid='chat-settings' noValidate>
      <h2 id='chat-settings-heading'>Chat</h2>
      {!admin && <p class='banner banner-info' role='note'>Only owners and admins can change these settings.</p>}
      <fieldset class='settings-group' disabled={!admin}>
        <legend>Who may mention @channel, @all and @here</legend>
        {ORG_ROLES.map((r) => (
          <label key={r} class='check'>
            <input type='checkbox' name={`mention-all-${r}`} checked={shownRoles.includes(r)} onChange={(e) => toggle(r, e.currentTarget.checked)} /> {r}
          </label>
        ))}
        {s.fields.mention_all_roles && <small class='field-error' role='alert'>{s.fields.mention_all_roles}</small>}
      </fieldset>
      <Field
        label='Warn when @channel would notify more than this many people' name='mention-warn' type='number' min={1} max={1000000} step={1}
        value={shownWarn} disabled={!admin} onInput={(e) => setWarn(e.currentTarget.value)} error={s.fields.mention_all_warn_above}
        hint='The person posting sees a warning; the message is still sent.'
      />
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {admin && <div><button class='btn btn-primary' disabled={s.pending || !dirty}>Save chat settings</button></div>}
    </form>
  )
}

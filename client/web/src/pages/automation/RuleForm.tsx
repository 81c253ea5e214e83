import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { members, projects } from '../../lib/session'
import type { BusinessRole, Page, RecordType } from '../../lib/types'
import { channels, channelLabel } from '../../chat/store'
import { boardsApi } from '../boards/api'
import { ErrorBox, Field, Modal, useAsync, useSubmit } from '../../ui/common'
import { Actions, actionPaths, type ActionSources, type Column } from './Actions'
import { Choice } from './bits'
import { Conditions, conditionPaths } from './Conditions'
import { TriggerPicker } from './TriggerPicker'
import { entityFields, fieldErrors, ruleDraft, toRequest, type RuleDraft } from './form'
import { createRule, updateRule, type AutomationRule, type EmailTemplate } from './api'

/** The org roles a notification may go to besides the business roles. */
const ORG_ROLES = ['owner', 'admin']

/**
 * Creates a rule (`rule` absent) or edits one: name, scope (at creation: the organisation, or a
 * project its author manages), trigger, conditions and actions. The server's 422 field errors
 * show beside their inputs; any it names elsewhere are listed above the buttons.
 */
export function RuleForm ({ org, rule, orgWide, templates, recordTypes, onClose, onSaved }: {
  org: string
  rule?: AutomationRule
  /** Whether the author may make organisation-wide rules (owners and admins). */
  orgWide: boolean
  /** The org's templates; null when the author may not list them. */
  templates: EmailTemplate[] | null
  recordTypes: RecordType[]
  onClose: () => void
  onSaved: (rule: AutomationRule) => void
}) {
  const [draft, setDraft] = useState<RuleDraft>(() => {
    const d = ruleDraft(rule)
    if (!rule && !orgWide) d.project = projects.value.find((p) => p.can?.manage)?.id ?? ''
    return d
  })
  const [localError, setLocalError] = useState<Record<string, string>>({})
  const s = useSubmit()
  const set = (patch: Partial<RuleDraft>) => setDraft((d) => ({ ...d, ...patch }))
  const errors = fieldErrors({ ...s.fields, ...localError })
  const form = useRef<HTMLFormElement>(null)
  // A refused save: the first input in error gets the focus (and is scrolled to), since the
  // editor is taller than its dialog and the error may be out of sight.
  useEffect(() => {
    if (!Object.keys(s.fields).length && !Object.keys(localError).length) return
    const el = form.current?.querySelector<HTMLElement>('[aria-invalid="true"], .field-invalid input, .field-invalid select, .field-invalid textarea, .error-box')
    if (el) { if (!el.hasAttribute('tabindex') && el.classList.contains('error-box')) el.tabIndex = -1; el.focus() }
  }, [s.fields, localError])

  const types = recordTypes.filter((t) => !t.archived)
  const needsBoards = draft.actions.some((a) => a.type === 'move_task' || a.type === 'create_task')
  const scopeProjects = draft.project ? projects.value.filter((p) => p.id === draft.project) : projects.value
  const boards = useAsync(async (signal) => {
    if (!needsBoards) return undefined
    const lists = await Promise.all(scopeProjects.map((p) => boardsApi.list(p.id, signal).then(
      (l) => l.items.map((b) => ({ ...b, projectName: draft.project ? undefined : p.name })),
      () => []
    )))
    return lists.flat()
  }, [needsBoards, draft.project, projects.value])
  const columns = useRef(new Map<string, Promise<Column[]>>())
  const roles = useAsync((signal) => api.get<Page<BusinessRole>>(`/api/v1/orgs/${org}/roles`, { signal }), [org])

  const sources: ActionSources = useMemo(() => ({
    channels: channels.value
      .filter((c) => c.kind === 'channel' && !c.archived && !c.private && (!draft.project || !c.project_id || c.project_id === draft.project))
      .map((c) => ({ value: c.id, label: channelLabel(c) })),
    members: members.value.map((m) => ({ value: m.user.id, label: m.user.name })),
    roles: [...new Set([...ORG_ROLES, ...(roles.data?.items.map((r) => r.name) ?? [])])].map((r) => ({ value: r, label: r })),
    templates,
    recordTypes: types.map((t) => ({ slug: t.slug, name: t.name, fields: t.fields.map((f) => f.name) })),
    boards: boards.data,
    columnsOf: (board: string) => {
      let p = columns.current.get(board)
      if (!p) {
        p = boardsApi.get(board).then((b) => b.columns)
        p.catch(() => columns.current.delete(board))
        columns.current.set(board, p)
      }
      return p
    }
  }), [channels.value, members.value, roles.data, templates, recordTypes, boards.data, draft.project])

  const kind = draft.trigger.mode === 'event' ? draft.trigger.kind : draft.trigger.mode
  const typeFields = kind.startsWith('record:') ? (types.find((t) => `record:${t.slug}` === kind)?.fields.map((f) => f.name) ?? []) : []

  async function save (e: Event) {
    e.preventDefault()
    const local: Record<string, string> = {}
    if (draft.trigger.mode === 'due' && !/^\d+$/.test(draft.trigger.days.trim())) local['trigger.due_within_days'] = 'A whole number of days, 0 or more.'
    if (!draft.actions.length) local.actions = 'Add at least one action.'
    setLocalError(local)
    if (Object.keys(local).length) return
    const body = toRequest(draft)
    const saved = rule
      ? await s.run(() => updateRule(rule.id, { name: body.name, trigger: body.trigger, conditions: body.conditions, actions: body.actions, active: body.active }))
      : await s.run(() => createRule(org, body))
    if (saved) onSaved(saved)
  }

  const placed = ['name', 'project', 'active', 'trigger', 'trigger.event', 'event', 'trigger.schedule', 'schedule', 'trigger.due_within_days', 'due_within_days', 'trigger.timezone', 'timezone', ...conditionPaths(draft.conditions), ...actionPaths(draft.actions)]
  const others = errors.others(placed)
  const manageable = orgWide ? projects.value : projects.value.filter((p) => p.can?.manage)
  return (
    <Modal title={rule ? 'Edit rule' : 'New rule'} onClose={onClose} wide>
      <form class='stack' onSubmit={save} noValidate ref={form}>
        <Field label='Name' name='rule-name' required value={draft.name} placeholder='Announce finished tasks' onInput={(e) => set({ name: e.currentTarget.value })} error={errors.at('name')} />
        {rule && <p class='muted small'>{rule.project ? `Project ${projects.value.find((p) => p.id === rule.project)?.name ?? rule.project}: only its events.` : 'The whole organisation.'}</p>}
        {!rule && (
          <Choice label='Scope' id='rule-project' value={draft.project} onChange={(project) => set({ project })} error={errors.at('project')} hint='A project’s rule sees only that project’s events.'>
            {orgWide && <option value=''>The whole organisation</option>}
            {manageable.map((p) => <option key={p.id} value={p.id}>Project {p.name}</option>)}
          </Choice>
        )}
        <TriggerPicker draft={draft.trigger} onChange={(trigger) => set({ trigger })} recordTypes={types} error={errors.at} />
        <Conditions rows={draft.conditions} onChange={(conditions) => set({ conditions })} fields={entityFields(kind, typeFields)} error={errors.at} />
        <Actions
          rows={draft.actions} onChange={(actions) => set({ actions })} sources={sources} error={errors.at}
          onPatch={(key, patch) => setDraft((d) => ({ ...d, actions: d.actions.map((a) => (a.key === key ? { ...a, ...patch } : a)) }))}
        />
        <div class='check'>
          <input type='checkbox' id='rule-active' checked={draft.active} onChange={(e) => set({ active: e.currentTarget.checked })} />
          <label for='rule-active'>Active: run on new events</label>
        </div>
        {others.length > 0 && (
          <div class='error-box' role='alert'>
            <ul>{others.map((o) => <li key={o}>{o}</li>)}</ul>
          </div>
        )}
        <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={s.pending}>{rule ? 'Save rule' : 'Create rule'}</button>
        </div>
      </form>
    </Modal>
  )
}

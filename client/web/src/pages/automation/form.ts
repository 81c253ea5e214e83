// The rule editor's drafts (what the inputs hold, as text) and their conversion to and from the
// wire types; the 422 field paths the server names (`actions[0].text`, `trigger.schedule`).

import type { AutomationRule, ConditionOp, CreateRuleRequest, RuleAction, RuleCondition, RuleTrigger } from './types'

export type TriggerMode = 'event' | 'schedule' | 'due'

/** The trigger as the picker holds it. `kind` is `task`, `message`, `record:*` or `record:<type>`;
 * `op` is `created`, `updated`, `transitioned`, `deleted` or `*` (any). */
export interface TriggerDraft { mode: TriggerMode, kind: string, op: string, schedule: string, timezone: string, days: string }

export interface ConditionDraft { key: number, field: string, op: ConditionOp, value: string }

export type ActionType = RuleAction['type']

/** One action row: every type's inputs, of which the row's type uses some. */
export interface ActionDraft {
  key: number
  type: ActionType
  channel: string
  text: string
  users: string[]
  roles: string[]
  to: string
  template: string
  field: string
  value: string
  user: string
  board: string
  column: string
  title: string
  record_type: string
  fields: { key: number, name: string, value: string }[]
  url: string
}

export interface RuleDraft { name: string, project: string, active: boolean, trigger: TriggerDraft, conditions: ConditionDraft[], actions: ActionDraft[] }

let keys = 0
/** A key for a new row (rows are keyed so inputs keep their focus and text when others go). */
export const nextKey = () => ++keys

export const ACTION_LABELS: Record<ActionType, string> = {
  post_message: 'Post a chat message',
  notify: 'Notify people',
  email: 'Send an e-mail',
  set_field: 'Set a field',
  assign: 'Assign',
  move_task: 'Move the task',
  create_task: 'Create a task',
  create_record: 'Create a record',
  webhook: 'Call a webhook'
}

export const OP_LABELS: Record<ConditionOp, string> = {
  eq: 'is',
  ne: 'is not',
  gt: 'is greater than',
  lt: 'is less than',
  in: 'is one of',
  changed_to: 'changed to',
  changed: 'changed',
  contains: 'contains',
  is_empty: 'is empty'
}

/** Operators that compare with nothing: the value input is hidden for them. */
export const takesValue = (op: ConditionOp) => op !== 'changed' && op !== 'is_empty'

export function emptyAction (type: ActionType = 'post_message'): ActionDraft {
  return { key: nextKey(), type, channel: 'project', text: '', users: [], roles: [], to: '', template: '', field: '', value: '', user: '', board: '', column: '', title: '', record_type: '', fields: [], url: '' }
}

export const emptyCondition = (): ConditionDraft => ({ key: nextKey(), field: '', op: 'eq', value: '' })

/** The time zone a new rule starts with: the browser's. */
export function localZone (): string {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' } catch { return 'UTC' }
}

/** The IANA zones the picker offers (UTC first). */
export function timeZones (): string[] {
  let zones: string[] = []
  try { zones = (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf('timeZone') } catch {}
  return ['UTC', ...zones.filter((z) => z !== 'UTC')]
}

/** An event pattern as the picker's kind and operation. */
export function parseEvent (event: string): { kind: string, op: string } {
  const parts = event.split('.')
  if (parts[0] === 'record') {
    if (parts.length === 2) return { kind: 'record:*', op: parts[1] }
    return { kind: `record:${parts[1]}`, op: parts[2] ?? '*' }
  }
  return { kind: parts[0] || 'task', op: parts[1] ?? '*' }
}

/** The picker's kind and operation as an event pattern (`record.deleted` for any record removed). */
export function buildEvent (kind: string, op: string): string {
  if (kind.startsWith('record:')) {
    const type = kind.slice('record:'.length)
    if (type === '*') return op === 'deleted' ? 'record.deleted' : 'record.*'
    return `record.${type}.${op}`
  }
  return `${kind}.${op}`
}

/** The operations a kind has: records are also transitioned; a record's removal is one event
 * for every type (`record.deleted`), so only "any business record" offers it. */
export function operationsOf (kind: string): string[] {
  if (kind === 'record:*') return ['*', 'deleted']
  if (kind.startsWith('record:')) return ['created', 'updated', 'transitioned', '*']
  return ['created', 'updated', 'deleted', '*']
}

export function triggerDraft (t?: RuleTrigger): TriggerDraft {
  const base: TriggerDraft = { mode: 'event', kind: 'task', op: 'updated', schedule: '0 9 * * MON', timezone: localZone(), days: '3' }
  if (!t) return base
  if (t.timezone) base.timezone = t.timezone
  else if (t.schedule || t.due_within_days != null) base.timezone = 'UTC'
  if (t.event) return { ...base, mode: 'event', ...parseEvent(t.event) }
  if (t.schedule) return { ...base, mode: 'schedule', schedule: t.schedule }
  if (t.due_within_days != null) return { ...base, mode: 'due', days: String(t.due_within_days) }
  return base
}

export function toTrigger (d: TriggerDraft): RuleTrigger {
  if (d.mode === 'event') return { event: buildEvent(d.kind, d.op) }
  if (d.mode === 'schedule') return { schedule: d.schedule.trim(), timezone: d.timezone }
  return { due_within_days: Number(d.days.trim()), timezone: d.timezone }
}

/** A condition's value as the text of its input. */
export function valueText (v: unknown): string {
  if (v === null || v === undefined) return ''
  if (Array.isArray(v)) return v.map((x) => valueText(x)).join(', ')
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** The typed value of a condition: a list for "is one of", numbers (and true/false for is / is
 * not) where the text is one, otherwise the text; nothing for operators that take no value. */
export function conditionValue (op: ConditionOp, text: string): unknown {
  if (!takesValue(op)) return null
  const t = text.trim()
  if (op === 'in') return t === '' ? [] : t.split(',').map((s) => s.trim()).filter(Boolean)
  if ((op === 'eq' || op === 'ne' || op === 'gt' || op === 'lt') && /^-?\d+(\.\d+)?$/.test(t)) return Number(t)
  if ((op === 'eq' || op === 'ne') && (t === 'true' || t === 'false')) return t === 'true'
  return text
}

export function toCondition (c: ConditionDraft): RuleCondition {
  return { field: c.field.trim(), op: c.op, value: conditionValue(c.op, c.value) }
}

export function actionDraft (a: RuleAction): ActionDraft {
  const d = emptyAction(a.type)
  switch (a.type) {
    case 'post_message': return { ...d, channel: a.channel, text: a.text }
    case 'notify': return { ...d, users: a.users ?? [], roles: a.roles ?? [], text: a.text }
    case 'email': return { ...d, to: a.to.join(', '), template: a.template }
    case 'set_field': return { ...d, field: a.field, value: valueText(a.value) }
    case 'assign': return { ...d, user: a.user }
    case 'move_task': return { ...d, column: a.column }
    case 'create_task': return { ...d, board: a.board, title: a.title }
    case 'create_record': return { ...d, record_type: a.record_type, fields: Object.entries(a.fields).map(([name, value]) => ({ key: nextKey(), name, value: valueText(value) })) }
    case 'webhook': return { ...d, url: a.url }
  }
}

export function toAction (d: ActionDraft): RuleAction {
  switch (d.type) {
    case 'post_message': return { type: d.type, channel: d.channel, text: d.text }
    case 'notify': return { type: d.type, users: d.users, roles: d.roles, text: d.text }
    case 'email': return { type: d.type, to: d.to.split(',').map((s) => s.trim()).filter(Boolean), template: d.template }
    case 'set_field': return { type: d.type, field: d.field.trim(), value: d.value }
    case 'assign': return { type: d.type, user: d.user }
    case 'move_task': return { type: d.type, column: d.column }
    case 'create_task': return { type: d.type, board: d.board, title: d.title }
    case 'create_record': return { type: d.type, record_type: d.record_type, fields: Object.fromEntries(d.fields.filter((f) => f.name.trim()).map((f) => [f.name.trim(), f.value])) }
    case 'webhook': return { type: d.type, url: d.url.trim() }
  }
}

export function ruleDraft (rule?: AutomationRule): RuleDraft {
  if (!rule) {
    return { name: '', project: '', active: true, trigger: triggerDraft(), conditions: [], actions: [emptyAction()] }
  }
  return {
    name: rule.name,
    project: rule.project ?? '',
    active: rule.active,
    trigger: triggerDraft(rule.trigger),
    conditions: rule.conditions.map((c) => ({ key: nextKey(), field: c.field, op: c.op, value: valueText(c.value) })),
    actions: rule.actions.map(actionDraft)
  }
}

export function toRequest (d: RuleDraft): CreateRuleRequest {
  return {
    name: d.name.trim(),
    ...(d.project ? { project: d.project } : {}),
    trigger: toTrigger(d.trigger),
    conditions: d.conditions.map(toCondition),
    actions: d.actions.map(toAction),
    active: d.active
  }
}

/** `actions.0.text` and `actions[0].text` alike, as `actions[0].text`. */
export function normalisePath (path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')
}

/** The server's field errors by normalised path, with lookup by the first path that has one. */
export function fieldErrors (fields: Record<string, string>) {
  const byPath = new Map<string, string>()
  for (const [k, v] of Object.entries(fields)) byPath.set(normalisePath(k), v)
  return {
    at: (...paths: string[]): string | undefined => {
      for (const p of paths) { const e = byPath.get(p); if (e) return e }
      return undefined
    },
    /** The errors of none of `placed` (shown together, so none is lost). */
    others: (placed: string[]): string[] => {
      const set = new Set(placed)
      return [...byPath.entries()].filter(([k]) => !set.has(k)).map(([k, v]) => `${k}: ${v}`)
    }
  }
}

/** The fields a trigger's entity offers to conditions and `{{field}}` texts. */
export function entityFields (kind: string, typeFields: string[] = []): string[] {
  if (kind === 'task' || kind === 'due') return ['title', 'status', 'category', 'priority', 'due', 'assignees', 'labels', 'actor.roles']
  if (kind === 'message') return ['text', 'channel', 'actor.roles']
  if (kind.startsWith('record')) return ['state', 'name', ...typeFields, 'actor.roles']
  return ['actor.roles']
}

/** The distinct `{{field}}` names of texts, in order of appearance. */
export function placeholders (...texts: string[]): string[] {
  const out: string[] = []
  for (const t of texts) {
    for (const m of t.matchAll(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1])
  }
  return out
}

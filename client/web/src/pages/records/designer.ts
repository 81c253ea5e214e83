// The type designer's drafts and their conversion to and from the schema the server takes
// (`POST/PUT …/record-types`): fields with their rules (bounds and defaults read in the field's
// own form: a text's length, a date, a whole number of minor units for money), options as a
// comma list, a child table's fields, the naming series, workflow states and transitions, and
// per-role permission rows. What the designer does not edit (computed formulas) is kept as is.
import type { FieldDef, FieldType, Naming, RecordType, TypePermission, Workflow } from '../../lib/types'
import { fromInput } from './values'

export interface FieldDraft {
  key: string
  name: string
  type: FieldType
  label: string
  required: boolean
  unique: boolean
  defaultText: string
  min: string
  max: string
  pattern: string
  options: string
  to: string
  fields: FieldDraft[]
  /** Kept from the type as it was (not edited here). */
  computed?: FieldDef['computed']
}

export interface StateDraft { key: string, name: string, final: boolean }
export interface TransitionDraft { key: string, action: string, from: string[], to: string, roles: string, selfApproval: boolean }
export interface NamingDraft { enabled: boolean, prefix: string, year: boolean, month: boolean, digits: string, at: 'create' | 'transition' }

export interface TypeDraft {
  slug: string
  name: string
  fields: FieldDraft[]
  workflow: boolean
  states: StateDraft[]
  transitions: TransitionDraft[]
  amendFrom: string
  naming: NamingDraft
  permissions: TypePermission[]
}

export const FIELD_TYPES: FieldType[] = ['text', 'long_text', 'number', 'integer', 'money', 'percent', 'date', 'datetime', 'duration', 'boolean', 'select', 'multi_select', 'email', 'phone', 'url', 'user', 'link', 'file', 'table']
/** The actions a type's permission rows name (records' own actions). */
export const RECORD_ACTIONS = ['read', 'write', 'delete', 'transition', 'export', 'import']

let seq = 0
export const draftKey = () => `d${++seq}`

export function newField (type: FieldType = 'text'): FieldDraft {
  return { key: draftKey(), name: '', type, label: '', required: false, unique: false, defaultText: '', min: '', max: '', pattern: '', options: '', to: '', fields: [] }
}

const text = (v: unknown) => v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v)

function fieldDraft (f: FieldDef): FieldDraft {
  return {
    key: draftKey(),
    name: f.name,
    type: f.type,
    label: f.label ?? '',
    required: !!f.required,
    unique: !!f.unique,
    defaultText: Array.isArray(f.default) ? (f.default as unknown[]).join(', ') : text(f.default),
    min: text(f.min),
    max: text(f.max),
    pattern: f.pattern ?? '',
    options: (f.options ?? []).join(', '),
    to: f.to ?? '',
    fields: (f.fields ?? []).map(fieldDraft),
    computed: f.computed ?? undefined
  }
}

export function emptyDraft (): TypeDraft {
  return {
    slug: '',
    name: '',
    fields: [newField()],
    workflow: false,
    states: [],
    transitions: [],
    amendFrom: '',
    naming: { enabled: false, prefix: '', year: true, month: false, digits: '5', at: 'create' },
    permissions: []
  }
}

export function draftOf (t: RecordType): TypeDraft {
  const w = t.workflow
  return {
    slug: t.slug,
    name: t.name,
    fields: t.fields.map(fieldDraft),
    workflow: !!w,
    states: (w?.states ?? []).map((s) => ({ key: draftKey(), name: s.name, final: !!s.final_state })),
    transitions: (w?.transitions ?? []).map((x) => ({ key: draftKey(), action: x.action, from: [...x.from], to: x.to, roles: (x.roles ?? []).join(', '), selfApproval: x.allow_self_approval !== false })),
    amendFrom: w?.amend_from ?? '',
    naming: t.naming
      ? { enabled: true, prefix: t.naming.prefix, year: !!t.naming.year, month: !!t.naming.month, digits: String(t.naming.digits ?? 5), at: t.naming.at ?? 'create' }
      : { enabled: false, prefix: '', year: true, month: false, digits: '5', at: 'create' },
    permissions: (t.permissions ?? []).map((p) => ({ ...p }))
  }
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)

/** A bound as the server reads it for the field's type. */
function bound (type: FieldType, s: string): unknown {
  const t = s.trim()
  if (!t) return undefined
  if (type === 'date') return t
  if (type === 'number' || type === 'percent') return t
  return /^-?\d+$/.test(t) ? Number(t) : t
}

function defaultOf (f: FieldDraft): unknown {
  const t = f.defaultText.trim()
  if (!t) return undefined
  if (f.type === 'boolean') return t === 'true' || t === 'yes'
  if (f.type === 'money') return /^-?\d+$/.test(t) ? Number(t) : t
  const parsed = fromInput({ name: f.name, type: f.type }, t, 'EUR')
  return parsed.ok ? parsed.value ?? undefined : t
}

function fieldDef (f: FieldDraft): FieldDef {
  const out: FieldDef = { name: f.name.trim(), type: f.type }
  if (f.label.trim()) out.label = f.label.trim()
  if (f.required) out.required = true
  if (f.unique) out.unique = true
  const d = defaultOf(f)
  if (d !== undefined) out.default = d as FieldDef['default']
  const min = bound(f.type, f.min)
  const max = bound(f.type, f.max)
  if (min !== undefined) out.min = min as FieldDef['min']
  if (max !== undefined) out.max = max as FieldDef['max']
  if (f.pattern.trim()) out.pattern = f.pattern.trim()
  if (f.type === 'select' || f.type === 'multi_select') out.options = list(f.options)
  if (f.type === 'link' && f.to.trim()) out.to = f.to.trim()
  if (f.type === 'table') out.fields = f.fields.map(fieldDef)
  if (f.computed) out.computed = f.computed
  return out
}

/** The body of a create or change (without slug and version). */
export function schemaOf (d: TypeDraft): { name: string, fields: FieldDef[], workflow?: Workflow, naming?: Naming, permissions: TypePermission[] } {
  const body: { name: string, fields: FieldDef[], workflow?: Workflow, naming?: Naming, permissions: TypePermission[] } = {
    name: d.name.trim(),
    fields: d.fields.map(fieldDef),
    permissions: d.permissions.filter((p) => p.role && p.action && p.scope)
  }
  if (d.workflow) {
    body.workflow = {
      states: d.states.map((s) => ({ name: s.name.trim(), final_state: s.final })),
      transitions: d.transitions.map((t) => ({ action: t.action.trim(), from: t.from, to: t.to, roles: list(t.roles), allow_self_approval: t.selfApproval })),
      ...(d.amendFrom ? { amend_from: d.amendFrom } : {})
    }
  }
  if (d.naming.enabled) {
    body.naming = { prefix: d.naming.prefix, year: d.naming.year, month: d.naming.month, digits: Number(d.naming.digits) || 5, at: d.naming.at }
  }
  return body
}

/** A slug from a name: "Purchase request" → "purchase_request". */
export function slugOf (name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').replace(/^(\d)/, 't_$1').slice(0, 40)
}

// The permission table as the admin screen edits it: the vocabulary (resource types, their
// actions, which roles a row may name), the loaded table, a draft of the org's overrides, and
// the diff against the defaults. Pure functions; the screen is in pages/admin/PermissionTable.
import type { Permissions, PermissionRule } from './types'

export type Scope = 'all' | 'own' | 'none'
export const SCOPES: Scope[] = ['all', 'own', 'none']

export interface ResourceType {
  name: string
  label: string
  /** Rows of project resources name project roles; the others' name base org roles. */
  inProject: boolean
  actions: string[]
}

const FIVE = ['read', 'comment', 'write', 'manage', 'delete']

/** The server's vocabulary (server/src/authz/model.rs, documented on `PermissionRule`), in its order. */
export const RESOURCE_TYPES: ResourceType[] = [
  { name: 'org', label: 'Organisation', inProject: false, actions: ['read', 'delete', 'create_project', 'invite_members', 'manage_members', 'read_audit', 'read_jobs', 'manage_permissions'] },
  { name: 'project', label: 'Projects', inProject: true, actions: FIVE },
  { name: 'channel', label: 'Channels', inProject: true, actions: FIVE },
  { name: 'message', label: 'Messages', inProject: true, actions: FIVE },
  { name: 'document', label: 'Documents', inProject: true, actions: FIVE },
  { name: 'file', label: 'Files', inProject: true, actions: FIVE },
  { name: 'board', label: 'Boards', inProject: true, actions: FIVE },
  { name: 'task', label: 'Tasks', inProject: true, actions: FIVE },
  { name: 'record_type', label: 'Record types', inProject: false, actions: ['read', 'write', 'manage', 'delete', 'export', 'import'] },
  { name: 'record', label: 'Records', inProject: false, actions: ['read', 'comment', 'write', 'manage', 'delete', 'transition', 'export', 'import'] }
]

export const BASE_ROLES = ['owner', 'admin', 'member', 'viewer', 'guest']
export const PROJECT_ROLES = ['manager', 'editor', 'commenter', 'viewer']

/** A row of the table. `viewer` is both a base org role and a project role: two rows, whose
 * cells never overlap (one names org-level types, the other project ones). */
export interface RoleRow {
  role: string
  group: 'org' | 'project' | 'business'
  /** The owner's row: the server refuses overrides of it, so nobody can lock the org out. */
  fixed: boolean
}

export function rowsOf (businessRoles: string[]): RoleRow[] {
  return [
    ...BASE_ROLES.map((role) => ({ role, group: 'org' as const, fixed: role === 'owner' })),
    ...PROJECT_ROLES.map((role) => ({ role, group: 'project' as const, fixed: false })),
    ...businessRoles.map((role) => ({ role, group: 'business' as const, fixed: false }))
  ]
}

/** Whether a row has cells under a resource type (business roles have them everywhere). */
export function applies (row: RoleRow, type: ResourceType): boolean {
  if (row.group === 'business') return true
  return type.inProject === (row.group === 'project')
}

export function actionLabel (action: string): string {
  return action.replace(/_/g, ' ')
}

export type CellKey = string

export function cellKey (role: string, resource: string, action: string): CellKey {
  return `${role}/${resource}/${action}`
}

function keyOf (rule: PermissionRule): CellKey {
  return cellKey(rule.role, rule.resource, rule.action)
}

function isScope (s: string): s is Scope {
  return (SCOPES as string[]).includes(s)
}

/** The table as the server sent it. */
export interface Table {
  /** Granted cells in effect (absent: none). */
  effective: Map<CellKey, Scope>
  /** The org's overrides of the defaults. */
  overrides: Map<CellKey, Scope>
  /** Granted cells of the built-in defaults (absent: none). */
  defaults: Map<CellKey, Scope>
}

export function tableFrom (p: Permissions): Table {
  const toMap = (rules: PermissionRule[]) => new Map(rules.filter((r) => isScope(r.scope)).map((r) => [keyOf(r), r.scope as Scope]))
  return { effective: toMap(p.effective), overrides: toMap(p.overrides), defaults: toMap(p.defaults ?? []) }
}

/** The built-in default of a cell: what it returns to when its override is removed. */
export function defaultOf (t: Table, key: CellKey): Scope {
  return t.defaults.get(key) ?? 'none'
}

/** The overrides being edited: what Save sends. */
export type Draft = ReadonlyMap<CellKey, Scope>

/** The draft with one cell set; choosing a cell's default drops its override, so the table
 * never carries overrides that change nothing. */
export function setCell (t: Table, draft: Draft, key: CellKey, scope: Scope): Draft {
  const next = new Map(draft)
  if (defaultOf(t, key) === scope) next.delete(key)
  else next.set(key, scope)
  return next
}

export function resetCell (draft: Draft, key: CellKey): Draft {
  const next = new Map(draft)
  next.delete(key)
  return next
}

/** What a cell shows: its override, else its default. */
export function shownScope (t: Table, draft: Draft, key: CellKey): Scope {
  return draft.get(key) ?? defaultOf(t, key)
}

/** Whether the draft differs from what the server holds. */
export function isDirty (t: Table, draft: Draft): boolean {
  if (draft.size !== t.overrides.size) return true
  for (const [key, scope] of draft) if (t.overrides.get(key) !== scope) return true
  return false
}

/** The PUT body's rules, in the server's order (resource, role, action). */
export function rulesFrom (draft: Draft): PermissionRule[] {
  const rules = [...draft].map(([key, scope]) => {
    const [role, resource, action] = key.split('/')
    return { role, resource, action, scope }
  })
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  return rules.sort((a, b) => cmp(a.resource, b.resource) || cmp(a.role, b.role) || cmp(a.action, b.action))
}

/** A 422's field errors (`overrides[i].field`) placed on the cells of the rules they name. */
export interface PlacedErrors {
  cells: Map<CellKey, string[]>
  /** Errors that name no sent rule (e.g. too many rules). */
  other: string[]
}

export function placeErrors (fields: Record<string, string>, sent: PermissionRule[]): PlacedErrors {
  const cells = new Map<CellKey, string[]>()
  const other: string[] = []
  for (const [field, message] of Object.entries(fields)) {
    const m = /^overrides\[(\d+)\]\.\w+$/.exec(field)
    const rule = m ? sent[Number(m[1])] : undefined
    if (!rule) { other.push(message); continue }
    const key = keyOf(rule)
    cells.set(key, [...(cells.get(key) ?? []), message])
  }
  return { cells, other }
}

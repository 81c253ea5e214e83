// Which columns a person sees in a type's list: their own choice, kept in this browser per
// organisation and type; until they choose, the first few fields that lists can show.
import type { FieldDef } from '../../lib/types'
import { indexable } from './values'

const DEFAULT_COUNT = 5
const key = (org: string, type: string) => `atrium.records.columns.${org}.${type}`

/** The fields a list can show as columns (child tables and long texts cannot). */
export function listable (fields: FieldDef[]): FieldDef[] {
  return fields.filter((f) => indexable(f.type) && f.name !== 'name')
}

export function defaultColumns (fields: FieldDef[]): string[] {
  return listable(fields).slice(0, DEFAULT_COUNT).map((f) => f.name)
}

/** The saved choice, without fields the type no longer has; the default when none is saved. */
export function loadColumns (org: string, type: string, fields: FieldDef[]): string[] {
  let saved: unknown = null
  try { saved = JSON.parse(localStorage.getItem(key(org, type)) ?? 'null') } catch {}
  if (!Array.isArray(saved)) return defaultColumns(fields)
  const known = new Set(listable(fields).map((f) => f.name))
  return saved.filter((n): n is string => typeof n === 'string' && known.has(n))
}

export function saveColumns (org: string, type: string, columns: string[]): void {
  try { localStorage.setItem(key(org, type), JSON.stringify(columns)) } catch {}
}

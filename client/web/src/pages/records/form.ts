// A record form's state and its conversion to what the API takes. The form keeps each field as
// its input shows it (text for numbers, money and dates; a flag for booleans; a list for
// multi-selects; rows for child tables); on save every value is read back with its type's rule
// (values.ts) and a value that is none of its type is a field error at the path the server
// would name (`lines[2].quantity`), so local and server errors show in the same place.
import type { BizRecord, FieldDef } from '../../lib/types'
import { fromInput, readOnly, toInput } from './values'

export type Row = Record<string, unknown> & { id?: string, _key: string }
export type FormValues = Record<string, unknown>

let keySeq = 0
/** A key for a new child row (rows keep it across reorders, for stable inputs). */
export function rowKey (): string { return `row-${++keySeq}` }

function inputOf (f: FieldDef, value: unknown, currency: string): unknown {
  if (f.type === 'boolean') return value === true
  if (f.type === 'multi_select') return Array.isArray(value) ? value.map(String) : []
  if (f.type === 'table') {
    const rows = Array.isArray(value) ? value : []
    return rows.map((r) => rowFrom(f.fields ?? [], (r ?? {}) as Record<string, unknown>, currency))
  }
  return toInput(f, value, currency)
}

function rowFrom (columns: FieldDef[], row: Record<string, unknown>, currency: string): Row {
  const out: Row = { _key: rowKey() }
  if (typeof row.id === 'string') out.id = row.id
  for (const c of columns) out[c.name] = inputOf(c, row[c.name], currency)
  return out
}

/** A new, empty child row of `columns` (defaults filled). */
export function newRow (columns: FieldDef[], currency: string): Row {
  const out: Row = { _key: rowKey() }
  for (const c of columns) out[c.name] = inputOf(c, c.default as unknown, currency)
  return out
}

/** The form of `record` (or of a new record, with the fields' defaults). */
export function formValues (fields: FieldDef[], record: BizRecord | null, currency: string): FormValues {
  const out: FormValues = {}
  for (const f of fields) {
    const v = record ? (f.name === 'name' ? record.name : record[f.name]) : f.default as unknown
    out[f.name] = inputOf(f, v, currency)
  }
  return out
}

function wireOf (f: FieldDef, input: unknown, path: string, currency: string, errors: Record<string, string>): unknown {
  if (f.type === 'boolean') return input === true
  if (f.type === 'multi_select') return Array.isArray(input) && input.length ? input : null
  if (f.type === 'table') {
    const rows = Array.isArray(input) ? input as Row[] : []
    if (!rows.length) return null
    return rows.map((row, i) => {
      const out: Record<string, unknown> = {}
      if (row.id) out.id = row.id
      for (const c of f.fields ?? []) {
        if (readOnly(c)) continue
        const v = wireOf(c, row[c.name], `${path}[${i}].${c.name}`, currency, errors)
        if (v !== null && v !== undefined) out[c.name] = v
      }
      return out
    })
  }
  const parsed = fromInput(f, typeof input === 'string' ? input : '', currency)
  if (!parsed.ok) { errors[path] = parsed.error; return undefined }
  return parsed.value
}

/**
 * The fields to send for `values`, or the errors of values that are none of their type. Read-only
 * and computed fields are never sent. A new record leaves out empty fields (the type's defaults
 * apply); a change sends them as `null` (clearing them).
 */
export function toWire (fields: FieldDef[], values: FormValues, currency: string, creating: boolean): { data: Record<string, unknown>, errors: Record<string, string> } {
  const data: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const f of fields) {
    if (readOnly(f)) continue
    const v = wireOf(f, values[f.name], f.name, currency, errors)
    if (v === undefined) continue
    if (v === null && creating) continue
    data[f.name] = v
  }
  return { data, errors }
}

/** Moves item `from` of `list` to `to` (a child row up or down). */
export function move<T> (list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list
  const out = [...list]
  const [item] = out.splice(from, 1)
  out.splice(to, 0, item)
  return out
}

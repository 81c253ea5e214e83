// A list's filters as people set them (per field, by what its type allows) and as the list
// endpoint reads them: `field=v`, `field.in=a,b`, `field.gte=`, `field.lte=`, `field.contains=`,
// `field.empty=true|false`. Operands are converted with the field's own rule (values.ts): a
// money bound typed as "12.50" is sent as 1250 minor units.
import type { FieldDef, FieldType } from '../../lib/types'
import { fromInput } from './values'

/** What one field is filtered by; the parts a type does not take stay unset. */
export interface FieldFilter {
  /** Options chosen (select, multi-select): one is `=`, several `.in`. */
  any?: string[]
  /** Exact value (boolean `true`/`false`, a user's or a linked record's id). */
  eq?: string
  /** Inclusive bounds as typed (numbers, money, dates, datetimes, durations). */
  from?: string
  to?: string
  contains?: string
  /** Only records with no value (`true`) or with one (`false`). */
  empty?: 'true' | 'false'
}

export type Filters = Record<string, FieldFilter>

export type FilterKind = 'options' | 'range' | 'text' | 'boolean' | 'id'

/** How a field of type `t` is filtered. */
export function filterKind (t: FieldType): FilterKind | null {
  switch (t) {
    case 'select': case 'multi_select': return 'options'
    case 'number': case 'integer': case 'money': case 'percent': case 'date': case 'datetime': case 'duration': return 'range'
    case 'text': case 'email': case 'phone': case 'url': return 'text'
    case 'boolean': return 'boolean'
    case 'user': case 'link': case 'file': return 'id'
    default: return null
  }
}

/** Whether `f` sets anything. */
export function isActive (f: FieldFilter | undefined): boolean {
  if (!f) return false
  return !!(f.any?.length || f.eq || f.from || f.to || f.contains || f.empty)
}

/** The query parameters of `filters` over `fields`, or the errors per field (`due.from`). */
export function filterParams (fields: FieldDef[], filters: Filters, currency: string): { params: Record<string, string>, errors: Record<string, string> } {
  const params: Record<string, string> = {}
  const errors: Record<string, string> = {}
  for (const field of fields) {
    const f = filters[field.name]
    if (!isActive(f) || !f) continue
    const name = field.name
    if (f.empty) {
      params[`${name}.empty`] = f.empty
      // "Is empty" leaves nothing else to ask.
      if (f.empty === 'true') continue
    }
    const operand = (text: string, part: string): string | undefined => {
      const parsed = fromInput(field, text, currency)
      if (!parsed.ok) { errors[`${name}.${part}`] = parsed.error; return undefined }
      return parsed.value === null ? undefined : String(parsed.value)
    }
    if (f.any?.length) {
      if (f.any.length === 1) params[name] = f.any[0]
      else params[`${name}.in`] = f.any.join(',')
    }
    if (f.eq) params[name] = f.eq
    if (f.from) { const v = operand(f.from, 'from'); if (v !== undefined) params[`${name}.gte`] = v }
    if (f.to) { const v = operand(f.to, 'to'); if (v !== undefined) params[`${name}.lte`] = v }
    if (f.contains?.trim()) params[`${name}.contains`] = f.contains.trim()
  }
  return { params, errors }
}

/** The `sort` parameter: `field` ascending, `-field` descending. */
export function sortParam (sort: { field: string, desc: boolean } | null): string | undefined {
  return sort ? (sort.desc ? '-' : '') + sort.field : undefined
}

/** The next sort after clicking the head of column `field`: ascending, then descending, then none. */
export function nextSort (current: { field: string, desc: boolean } | null, field: string): { field: string, desc: boolean } | null {
  if (!current || current.field !== field) return { field, desc: false }
  if (!current.desc) return { field, desc: true }
  return null
}

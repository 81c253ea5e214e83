// A field's value in its three forms: as the API holds it (wire), as an input shows it (text),
// and as a list cell reads. Each field type has one rule for each direction; the form, the
// filters and the list all use these, so a money amount typed in a filter means what it means
// in the form.
import type { FieldDef, FieldType } from '../../lib/types'
import { currencyDigits, formatMoney, moneyInput, parseMoney, type Parsed } from './money'

/** Types whose values the list index keeps (filters and sort work on them). */
export function indexable (t: FieldType): boolean {
  return t !== 'table' && t !== 'long_text' && t !== 'rich_text'
}

/** Types whose list answers carry a total over the filtered set. */
export function totalled (t: FieldType): boolean {
  return t === 'money' || t === 'number' || t === 'integer' || t === 'percent' || t === 'duration'
}

/** Types shown right-aligned, as numbers. */
export function numeric (t: FieldType): boolean {
  return totalled(t)
}

/** A field's label for people. */
export function labelOf (f: Pick<FieldDef, 'name' | 'label'>): string {
  if (f.label) return f.label
  const words = f.name.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** Whether a field is shown but never sent (computed or read-only). */
export function readOnly (f: FieldDef): boolean {
  return !!f.read_only || !!f.computed
}

const pad = (n: number) => String(n).padStart(2, '0')

/** `YYYY-MM-DDTHH:mm` in local time (a datetime-local input's value) of epoch milliseconds. */
export function localDateTime (ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** `h:mm` of a duration in seconds. */
export function formatDuration (seconds: number): string {
  const negative = seconds < 0
  const minutes = Math.floor(Math.abs(seconds) / 60)
  return `${negative ? '-' : ''}${Math.floor(minutes / 60)}:${pad(minutes % 60)}`
}

/** Seconds of a duration typed as `h:mm`, `1h 30m`, `90m` or plain minutes. */
export function parseDuration (text: string): Parsed<number | null> {
  const t = text.trim().toLowerCase()
  if (!t) return { ok: true, value: null }
  let m = /^(\d+):([0-5]\d)$/.exec(t)
  if (m) return { ok: true, value: (Number(m[1]) * 60 + Number(m[2])) * 60 }
  m = /^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?$/.exec(t)
  if (m && (m[1] || m[2])) return { ok: true, value: (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 }
  if (/^\d+$/.test(t)) return { ok: true, value: Number(t) * 60 }
  return { ok: false, error: 'must be a duration such as 1:30 or 90m' }
}

/** The text an input shows for a stored value. */
export function toInput (f: FieldDef, value: unknown, currency?: string | null): string {
  if (value === null || value === undefined) return ''
  switch (f.type) {
    case 'money': return typeof value === 'number' ? moneyInput(value, currencyDigits(currency)) : ''
    case 'datetime': return typeof value === 'number' ? localDateTime(value) : ''
    case 'duration': return typeof value === 'number' ? formatDuration(value) : ''
    case 'boolean': return value ? 'true' : 'false'
    case 'multi_select': return Array.isArray(value) ? value.join(', ') : ''
    default: return String(value)
  }
}

/** The value to send for the text of an input (`null`: no value), or why it is none. */
export function fromInput (f: FieldDef, text: string, currency?: string | null): Parsed<unknown> {
  const t = text.trim()
  if (t === '' && f.type !== 'boolean') return { ok: true, value: null }
  switch (f.type) {
    case 'money': return parseMoney(t, currencyDigits(currency))
    case 'integer':
      return /^-?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? { ok: true, value: Number(t) } : { ok: false, error: 'must be a whole number' }
    case 'number':
    case 'percent':
      // Exact decimals travel as strings; the server keeps them exact.
      return /^-?\d*\.?\d+$|^-?\d+\.$/.test(t) ? { ok: true, value: t.replace(/\.$/, '') } : { ok: false, error: 'must be a number such as 12.5' }
    case 'datetime': {
      const ms = new Date(t).getTime()
      return Number.isFinite(ms) ? { ok: true, value: ms } : { ok: false, error: 'must be a date and time' }
    }
    case 'duration': return parseDuration(t)
    case 'date': return /^\d{4}-\d{2}-\d{2}$/.test(t) ? { ok: true, value: t } : { ok: false, error: 'must be a date YYYY-MM-DD' }
    case 'boolean': return { ok: true, value: t === 'true' }
    case 'multi_select': return { ok: true, value: t.split(',').map((s) => s.trim()).filter(Boolean) }
    default: return { ok: true, value: text }
  }
}

/** A value as a list cell or a read-only field reads it. `names` turns user ids into names. */
export function display (f: FieldDef, value: unknown, currency?: string | null, names?: (id: string) => string | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  switch (f.type) {
    case 'money': return typeof value === 'number' ? formatMoney(value, currency) : String(value)
    case 'percent': return `${String(value)} %`
    case 'datetime': return typeof value === 'number' ? new Date(value).toLocaleString() : String(value)
    case 'duration': return typeof value === 'number' ? formatDuration(value) : String(value)
    case 'boolean': return value ? 'Yes' : 'No'
    case 'multi_select': return Array.isArray(value) ? value.join(', ') : String(value)
    case 'user': case 'link': return names?.(String(value)) ?? String(value)
    case 'table': return Array.isArray(value) ? `${value.length} row${value.length === 1 ? '' : 's'}` : ''
    default: return String(value)
  }
}

/** The currency of a record's money fields: its `currency` field when the type has one. */
export function currencyOf (record: Record<string, unknown> | undefined | null, fallback = 'EUR'): string {
  const c = record?.currency
  return typeof c === 'string' && /^[A-Za-z]{3}$/.test(c) ? c.toUpperCase() : fallback
}

/** A history entry's field path (`budget`, `lines[<row id>]`, `lines[<row id>].amount`) and
 * value as people read them: the field's label, and the value shown by its type (a child row
 * as its cells). */
export function historyChange (fields: FieldDef[], path: string, value: unknown, currency: string, names?: (id: string) => string | undefined): { label: string, text: string } {
  const none = (t: string) => t === '' ? '—' : t
  const m = /^([a-z][a-z0-9_]*)\[([^\]]+)\](?:\.([a-z][a-z0-9_]*))?$/.exec(path)
  const table = m ? fields.find((f) => f.name === m[1] && f.type === 'table') : undefined
  if (m && table) {
    const columns = table.fields ?? []
    if (m[3]) {
      const column = columns.find((c) => c.name === m[3])
      return { label: `${labelOf(table)} › ${column ? labelOf(column) : m[3]}`, text: none(column ? display(column, value, currency, names) : String(value ?? '')) }
    }
    const row = value && typeof value === 'object' ? value as Record<string, unknown> : null
    const cells = row ? columns.map((c) => [labelOf(c), display(c, row[c.name], currency, names)]).filter(([, t]) => t !== '').map(([l, t]) => `${l}: ${t}`) : []
    return { label: `${labelOf(table)} row`, text: none(cells.join(', ')) }
  }
  const field = fields.find((f) => f.name === path)
  if (!field) return { label: labelOf({ name: path }), text: none(value === null || value === undefined ? '' : String(value)) }
  return { label: labelOf(field), text: none(display(field, value, currency, names)) }
}

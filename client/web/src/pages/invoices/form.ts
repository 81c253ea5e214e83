// The invoice editor's state and its conversion to and from what the API holds. The editor keeps
// every value as its input shows it (unit prices in major units of the invoice's currency); a
// save reads them back exactly (totals.ts) and names each fault at the path the server would
// (`lines[2].quantity`), so local and server errors show in the same place.
import type { Invoice, InvoiceLine } from './api'
import { currencyDigits, decText, figuresOf, minorText, parseDecimal, parseMinor, type LineText, type TaxScheme } from './totals'

export interface Row extends LineText { _key: string, id?: string }

export interface InvoiceForm {
  client: string
  currency: string
  issue_date: string
  due_date: string
  reference: string
  tax_scheme: 'standard' | 'gst'
  seller_state: string
  client_state: string
  notes: string
  lines: Row[]
}

let seq = 0
export function rowKey (): string { return `line-${++seq}` }

export function emptyRow (): Row {
  return { _key: rowKey(), description: '', quantity: '1', unit_price: '', discount: '', tax_rate: '', tax_code: '' }
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v))

/** The form of a saved invoice. */
export function formOf (inv: Invoice): InvoiceForm {
  const currency = str(inv.currency).toUpperCase()
  const digits = currencyDigits(currency)
  return {
    client: str(inv.client),
    currency,
    issue_date: str(inv.issue_date),
    due_date: str(inv.due_date),
    reference: str(inv.reference),
    tax_scheme: inv.tax_scheme === 'gst' ? 'gst' : 'standard',
    seller_state: str(inv.seller_state),
    client_state: str(inv.client_state),
    notes: str(inv.notes),
    lines: (inv.lines ?? []).map((l: InvoiceLine) => ({
      _key: rowKey(),
      id: l.id,
      description: str(l.description),
      quantity: str(l.quantity),
      unit_price: typeof l.unit_price === 'number' ? minorText(l.unit_price, digits) : '',
      discount: str(l.discount),
      tax_rate: str(l.tax_rate),
      tax_code: str(l.tax_code)
    }))
  }
}

/** The form of a new invoice, issued today. */
export function newForm (today: string): InvoiceForm {
  return { client: '', currency: 'EUR', issue_date: today, due_date: '', reference: '', tax_scheme: 'standard', seller_state: '', client_state: '', notes: '', lines: [emptyRow()] }
}

export function schemeOf (f: Pick<InvoiceForm, 'tax_scheme' | 'seller_state' | 'client_state'>): TaxScheme {
  return f.tax_scheme === 'gst' ? { kind: 'gst', sellerState: f.seller_state.trim(), clientState: f.client_state.trim() } : { kind: 'standard' }
}

/** The live figures of the form and the faults of its lines (`lines[0].quantity` → why). */
export function liveFigures (f: InvoiceForm) {
  const { figures, errors } = figuresOf(f.lines, f.currency, schemeOf(f))
  const lineErrors: Record<string, string> = {}
  errors.forEach((e, i) => {
    for (const [k, v] of Object.entries(e)) if (v) lineErrors[`lines[${i}].${k}`] = v
  })
  return { figures, lineErrors }
}

/** Whether an error only says a value is missing (shown once a save was tried). */
export function isMissing (why: string): boolean {
  return why === 'is required' || why === 'must not be empty'
}

/**
 * The fields to send for `f`, or the errors that keep it from being sent. A new invoice leaves
 * out what is empty (the server fills currency, dates and state codes from the client and the
 * settings); a change sends emptied fields as `null`.
 */
export function toWire (f: InvoiceForm, creating: boolean): { data: Record<string, unknown>, errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const data: Record<string, unknown> = {}
  const put = (name: string, value: string) => {
    const v = value.trim()
    if (v) data[name] = v
    else if (!creating) data[name] = null
  }
  const currency = f.currency.trim().toUpperCase()
  if (currency && !/^[A-Z]{3}$/.test(currency)) errors.currency = 'must be a three-letter currency code such as EUR'
  if (!f.client) errors.client = 'is required'
  put('client', f.client)
  put('currency', currency)
  put('issue_date', f.issue_date)
  put('due_date', f.due_date)
  put('reference', f.reference)
  data.tax_scheme = f.tax_scheme
  put('seller_state', f.seller_state)
  put('client_state', f.client_state)
  if (f.tax_scheme === 'gst') {
    for (const k of ['seller_state', 'client_state'] as const) {
      if (!/^\d{2}$/.test(f[k].trim()) || f[k].trim() === '00') errors[k] = 'must be a two-digit GST state code such as "27" under GST'
    }
  }
  put('notes', f.notes)
  const digits = currencyDigits(currency)
  const { lineErrors } = liveFigures({ ...f, currency })
  Object.assign(errors, lineErrors)
  data.lines = f.lines.map((row) => {
    const out: Record<string, unknown> = {}
    if (row.id) out.id = row.id
    out.description = row.description.trim()
    const q = parseDecimal(row.quantity)
    if (q.ok && q.value) out.quantity = decText(q.value)
    const price = parseMinor(row.unit_price, digits)
    if (price.ok && price.value !== null) out.unit_price = Number(price.value)
    for (const k of ['discount', 'tax_rate'] as const) {
      const p = parseDecimal(row[k])
      if (p.ok && p.value) out[k] = decText(p.value)
    }
    if (row.tax_code.trim()) out.tax_code = row.tax_code.trim()
    return out
  })
  return { data, errors }
}

/** Moves item `from` of `list` to `to`. */
export function move<T> (list: T[], from: number, to: number): T[] {
  if (to < 0 || to >= list.length || from === to) return list
  const out = [...list]
  const [item] = out.splice(from, 1)
  out.splice(to, 0, item)
  return out
}

/**
 * Whether the server's figures of `inv` equal the ones computed here from its lines (they are
 * the same rule; a difference would be a bug, and the server's are the invoice's).
 */
export function sameFigures (inv: Invoice): boolean {
  const f = formOf(inv)
  const { figures } = liveFigures(f)
  const lines = inv.lines ?? []
  return BigInt(inv.subtotal ?? -1) === figures.subtotal &&
    BigInt(inv.discount_total ?? -1) === figures.discount &&
    BigInt(inv.tax_total ?? -1) === figures.tax &&
    BigInt(inv.total ?? -1) === figures.total &&
    lines.every((l, i) => l.amount === undefined || BigInt(l.amount) === figures.lines[i]?.taxable)
}

/** Addresses typed into one box, separated by commas, semicolons or spaces. */
export function splitAddresses (text: string): string[] {
  return text.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)
}

/** Reminder days as typed ("3, 7, 14") → numbers, or why not. */
export function parseDays (text: string): { ok: true, value: number[] } | { ok: false, error: string } {
  const parts = text.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean)
  if (parts.some((p) => !/^\d+$/.test(p))) return { ok: false, error: 'must be whole numbers of days, such as 3, 7, 14' }
  return { ok: true, value: parts.map(Number) }
}

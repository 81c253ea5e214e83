// An invoice's figures computed in the browser, by the server's rule (atrium-invoicing's
// `compute_totals`), so the totals follow every keystroke and equal what the server stores:
//
//   per line  amount   = round(quantity × unit price)
//             discount = round(amount × discount% / 100), taxable = amount − discount
//             each tax component = round(taxable × component rate / 100)
//   invoice   subtotal, discount, tax = sums of the rounded line figures; total = taxable + tax
//
// "round" is half up on whole minor units. Under GST a sale within one state is taxed as CGST +
// SGST at half the rate each (each half rounded on its own), across states as IGST at the full
// rate. Quantities and percentages are exact decimals read from their text and every product is
// a BigInt over a power of ten, so no floating point touches the money.

/** An exact, non-negative decimal: `units / 10^scale`. */
export interface Dec { units: bigint, scale: number }

export type Check<T> = { ok: true, value: T } | { ok: false, error: string }

const TEN = 10n
const pow10 = (n: number): bigint => TEN ** BigInt(n)

/** Most decimal places of a quantity, and the largest quantity (as the server allows). */
export const QUANTITY_DECIMALS = 3
export const MAX_QUANTITY = 1_000_000_000n
/** Most decimal places of a discount or tax percentage. */
export const PERCENT_DECIMALS = 4
/** The largest unit price, in minor units. */
export const MAX_UNIT_PRICE = 1_000_000_000_000_000n

/**
 * A decimal typed by a person ("1.5", ".25", "12", "3."): digits with at most one point.
 * Empty text is `null`. No sign, exponent or grouping: quantities and percentages are plain.
 */
export function parseDecimal (text: string): Check<Dec | null> {
  const t = text.trim()
  if (t === '') return { ok: true, value: null }
  if (t.startsWith('-')) return { ok: false, error: 'must not be negative' }
  const m = /^(\d*)(?:\.(\d*))?$/.exec(t)
  if (!m || (m[1] === '' && !m[2])) return { ok: false, error: 'must be a number such as 1.5' }
  const fraction = m[2] ?? ''
  return { ok: true, value: normalize({ units: BigInt((m[1] || '0') + fraction), scale: fraction.length }) }
}

/** The same value with no trailing zeros after the point (2.50 → 2.5, 9.0 → 9). */
export function normalize (d: Dec): Dec {
  let { units, scale } = d
  while (scale > 0 && units % TEN === 0n) { units /= TEN; scale-- }
  return { units, scale }
}

/** A decimal as text, normalized: 2.5, 9, 0.0005. */
export function decText (d: Dec): string {
  const n = normalize(d)
  if (n.scale === 0) return n.units.toString()
  const digits = n.units.toString().padStart(n.scale + 1, '0')
  return `${digits.slice(0, -n.scale)}.${digits.slice(-n.scale)}`
}

/** Compares two decimals: negative, zero or positive. */
export function compareDec (a: Dec, b: Dec): number {
  const scale = Math.max(a.scale, b.scale)
  const x = a.units * pow10(scale - a.scale)
  const y = b.units * pow10(scale - b.scale)
  return x < y ? -1 : x > y ? 1 : 0
}

const ZERO: Dec = { units: 0n, scale: 0 }

/** `n / d` rounded to a whole number, a half going away from zero (`d` > 0). */
export function roundDiv (n: bigint, d: bigint): bigint {
  if (n < 0n) return -roundDiv(-n, d)
  return (2n * n + d) / (2n * d)
}

/** `round(amount × percent / 100)`. */
function percentOf (amount: bigint, percent: Dec): bigint {
  return roundDiv(amount * percent.units, 100n * pow10(percent.scale))
}

/** A line as the math takes it: quantity and percentages exact, the unit price in minor units. */
export interface LineInput { quantity: Dec, unitPrice: bigint, discount: Dec, taxRate: Dec }

export type TaxScheme = { kind: 'standard' } | { kind: 'gst', sellerState: string, clientState: string }

export type TaxKind = 'Tax' | 'CGST' | 'SGST' | 'IGST'

export interface TaxPart { kind: TaxKind, rate: Dec, amount: bigint }

export interface LineFigures { amount: bigint, discount: bigint, taxable: bigint, taxes: TaxPart[], tax: bigint, total: bigint }

/** One row of the tax summary, as the server writes the invoice's `taxes`. */
export interface TaxRow { label: string, rate: string, taxable: bigint, amount: bigint }

export interface Figures {
  lines: LineFigures[]
  subtotal: bigint
  discount: bigint
  taxable: bigint
  tax: bigint
  total: bigint
  /** One row per component and distinct rate, lowest rate first; zero rates left out. */
  taxes: TaxRow[]
}

/** Which components a line's tax splits into under `scheme`. */
function components (scheme: TaxScheme, rate: Dec): [TaxKind, Dec][] {
  if (scheme.kind === 'standard') return [['Tax', normalize(rate)]]
  if (scheme.sellerState === scheme.clientState) {
    // Half the rate, exactly: r / 2 = 5r / 10.
    const half = normalize({ units: rate.units * 5n, scale: rate.scale + 1 })
    return [['CGST', half], ['SGST', half]]
  }
  return [['IGST', normalize(rate)]]
}

/** The figures of one line. */
export function lineFigures (line: LineInput, scheme: TaxScheme): LineFigures {
  const amount = roundDiv(line.quantity.units * line.unitPrice, pow10(line.quantity.scale))
  const discount = percentOf(amount, line.discount)
  const taxable = amount - discount
  const taxes = components(scheme, line.taxRate).map(([kind, rate]) => ({ kind, rate, amount: percentOf(taxable, rate) }))
  const tax = taxes.reduce((s, t) => s + t.amount, 0n)
  return { amount, discount, taxable, taxes, tax, total: taxable + tax }
}

/** The invoice's figures from its lines under `scheme`. */
export function computeFigures (lines: LineInput[], scheme: TaxScheme): Figures {
  const out: Figures = { lines: [], subtotal: 0n, discount: 0n, taxable: 0n, tax: 0n, total: 0n, taxes: [] }
  const byRate = new Map<string, { rate: Dec, taxable: bigint, parts: TaxPart[] }>()
  for (const line of lines) {
    const f = lineFigures(line, scheme)
    out.lines.push(f)
    out.subtotal += f.amount
    out.discount += f.discount
    out.taxable += f.taxable
    out.tax += f.tax
    const rate = normalize(line.taxRate)
    const key = decText(rate)
    let summary = byRate.get(key)
    if (!summary) {
      summary = { rate, taxable: 0n, parts: f.taxes.map((t) => ({ ...t, amount: 0n })) }
      byRate.set(key, summary)
    }
    summary.taxable += f.taxable
    summary.parts.forEach((p, i) => { p.amount += f.taxes[i].amount })
  }
  out.total = out.taxable + out.tax
  const summaries = [...byRate.values()].sort((a, b) => compareDec(a.rate, b.rate))
  for (const s of summaries) {
    for (const p of s.parts) {
      const rate = decText(p.rate)
      if (rate === '0') continue
      out.taxes.push({ label: `${p.kind} ${rate}%`, rate, taxable: s.taxable, amount: p.amount })
    }
  }
  return out
}

// ---- Lines as the editor holds them (text as typed) ----

/** A line as its inputs show it: the unit price in major units of the currency. */
export interface LineText { description: string, quantity: string, unit_price: string, discount: string, tax_rate: string, tax_code: string }

/**
 * Minor units of an amount typed in major units ("1,234.50" → 123450 with 2 digits): digits with
 * an optional point and commas between groups, at most `digits` decimal places, not negative.
 * Empty text is `null`. Read as text, never through a float.
 */
export function parseMinor (text: string, digits: number): Check<bigint | null> {
  const t = text.trim().replace(/[\s_']/g, '')
  if (t === '') return { ok: true, value: null }
  if (t.startsWith('-')) return { ok: false, error: 'must not be negative' }
  const m = /^(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d*))?$/.exec(t)
  if (!m || (m[1] === '' && !m[2])) return { ok: false, error: 'must be an amount such as 1234.50' }
  const fraction = m[2] ?? ''
  if (fraction.length > digits) {
    return { ok: false, error: digits === 0 ? 'must be a whole amount in this currency' : `must have at most ${digits} decimal places` }
  }
  const whole = BigInt(m[1].replace(/,/g, '') || '0')
  return { ok: true, value: whole * pow10(digits) + BigInt((fraction + '0'.repeat(digits)).slice(0, digits) || '0') }
}

/** The input text of `minor` minor units: 123450 → "1234.50". */
export function minorText (minor: bigint | number, digits: number): string {
  const n = BigInt(minor)
  const negative = n < 0n
  const abs = negative ? -n : n
  const scale = pow10(digits)
  const whole = (abs / scale).toString()
  const fraction = digits > 0 ? '.' + (abs % scale).toString().padStart(digits, '0') : ''
  return (negative ? '-' : '') + whole + fraction
}

/** Fraction digits of a currency (its minor unit): 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyDigits (currency: string | null | undefined): number {
  if (!currency || !/^[A-Za-z]{3}$/.test(currency)) return 2
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

/** Minor units for reading, grouped, with the code: "EUR 1,234.50", "JPY 1,500". */
export function formatMinor (minor: bigint | number, currency: string | null | undefined, digits = currencyDigits(currency)): string {
  const text = minorText(minor, digits)
  const [whole, fraction] = text.split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const amount = fraction === undefined ? grouped : `${grouped}.${fraction}`
  return currency ? `${currency.toUpperCase()} ${amount}` : amount
}

/** Why a line's inputs are not what the server takes, per column (the server's wording). */
export type LineErrors = Partial<Record<keyof LineText, string>>

/**
 * A line's inputs read for the math: values that cannot be read count as zero (the live totals
 * go on), and each is reported under its column.
 */
export function readLine (line: LineText, digits: number): { input: LineInput, errors: LineErrors } {
  const errors: LineErrors = {}
  const dec = (field: 'quantity' | 'discount' | 'tax_rate', maxScale: number, max: Dec): Dec => {
    const p = parseDecimal(line[field])
    if (!p.ok) { errors[field] = p.error; return ZERO }
    if (p.value === null) return ZERO
    if (p.value.scale > maxScale) { errors[field] = `has more than ${maxScale} decimal places`; return ZERO }
    if (compareDec(p.value, max) > 0) { errors[field] = field === 'quantity' ? `must be at most ${max.units}` : 'must be between 0 and 100'; return ZERO }
    return p.value
  }
  const quantity = dec('quantity', QUANTITY_DECIMALS, { units: MAX_QUANTITY, scale: 0 })
  if (line.quantity.trim() === '') errors.quantity = 'is required'
  const discount = dec('discount', PERCENT_DECIMALS, { units: 100n, scale: 0 })
  const taxRate = dec('tax_rate', PERCENT_DECIMALS, { units: 100n, scale: 0 })
  let unitPrice = 0n
  const price = parseMinor(line.unit_price, digits)
  if (!price.ok) errors.unit_price = price.error
  else if (price.value === null) errors.unit_price = 'is required'
  else if (price.value > MAX_UNIT_PRICE) errors.unit_price = 'is too large'
  else unitPrice = price.value
  if (!line.description.trim()) errors.description = 'must not be empty'
  const code = line.tax_code.trim()
  if (code && !/^[A-Za-z0-9]{1,16}$/.test(code)) errors.tax_code = 'must be 1 to 16 letters or digits (an HSN or SAC code)'
  return { input: { quantity, unitPrice, discount, taxRate }, errors }
}

/** The invoice's figures from the editor's lines, with the inputs' errors per line. */
export function figuresOf (lines: LineText[], currency: string, scheme: TaxScheme): { figures: Figures, errors: LineErrors[] } {
  const digits = currencyDigits(currency)
  const read = lines.map((l) => readLine(l, digits))
  return { figures: computeFigures(read.map((r) => r.input), scheme), errors: read.map((r) => r.errors) }
}

// Money as the API holds it: integer minor units of a currency (cents for EUR, none for JPY,
// thousandths for KWD). People type and read major units ("1,234.50"); the conversion is done
// on the digits as text, never through floating point, so 0.1 + 0.2 cannot creep in.

/** Fraction digits of an ISO 4217 currency (2 when the browser does not know the code). */
export function currencyDigits (currency: string | undefined | null): number {
  if (!currency) return 2
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return 2
  }
}

export type Parsed<T> = { ok: true, value: T } | { ok: false, error: string }

/**
 * Minor units of an amount typed in major units: "1,234.5" with 2 digits → 123450. Accepts a
 * leading sign, spaces, apostrophes and commas as group separators, and a comma as the decimal
 * mark when it is the only mark and is not followed by exactly three digits ("12,50").
 * Empty text is `null` (no value).
 */
export function parseMoney (text: string, digits: number): Parsed<number | null> {
  let t = text.trim().replace(/[\s'’_]/g, '')
  if (t === '') return { ok: true, value: null }
  let negative = false
  if (t.startsWith('-') || t.startsWith('+')) {
    negative = t.startsWith('-')
    t = t.slice(1)
  }
  const lastDot = t.lastIndexOf('.')
  const lastComma = t.lastIndexOf(',')
  let decimalMark = ''
  if (lastDot >= 0 && lastComma >= 0) decimalMark = lastDot > lastComma ? '.' : ','
  else if (lastDot >= 0) decimalMark = '.'
  else if (lastComma >= 0 && t.indexOf(',') === lastComma && t.length - lastComma - 1 !== 3) decimalMark = ','
  let whole = t
  let fraction = ''
  if (decimalMark) {
    const at = t.lastIndexOf(decimalMark)
    whole = t.slice(0, at)
    fraction = t.slice(at + 1)
  }
  const groupMark = decimalMark === ',' ? '.' : ','
  whole = whole.split(groupMark).join('')
  if (!/^\d*$/.test(whole) || !/^\d*$/.test(fraction) || (whole === '' && fraction === '')) {
    return { ok: false, error: 'must be an amount such as 1,234.50' }
  }
  if (fraction.length > digits) {
    return { ok: false, error: digits === 0 ? 'must be a whole amount in this currency' : `must have at most ${digits} decimal places` }
  }
  const minor = BigInt(whole || '0') * 10n ** BigInt(digits) + BigInt((fraction + '0'.repeat(digits)).slice(0, digits) || '0')
  const signed = negative ? -minor : minor
  if (signed > BigInt(Number.MAX_SAFE_INTEGER) || signed < BigInt(Number.MIN_SAFE_INTEGER)) {
    return { ok: false, error: 'is too large' }
  }
  return { ok: true, value: Number(signed) }
}

function group (digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Major units of `minor` as plain text for an input: 123450 → "1234.50". */
export function moneyInput (minor: number, digits: number): string {
  return splitMinor(minor, digits, false)
}

/** Major units of `minor` for reading, grouped, with the currency code: "EUR 1,234.50". */
export function formatMoney (minor: number, currency: string | undefined | null, digits = currencyDigits(currency)): string {
  const amount = splitMinor(minor, digits, true)
  return currency ? `${currency} ${amount}` : amount
}

function splitMinor (minor: number, digits: number, grouped: boolean): string {
  const n = BigInt(Math.trunc(minor))
  const negative = n < 0n
  const abs = negative ? -n : n
  const scale = 10n ** BigInt(digits)
  const whole = (abs / scale).toString()
  const fraction = (abs % scale).toString().padStart(digits, '0')
  const shownWhole = grouped ? group(whole) : whole
  return (negative ? '-' : '') + shownWhole + (digits > 0 ? '.' + fraction : '')
}

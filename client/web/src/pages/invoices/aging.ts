// Receivables aging: what open invoices still owe, by how long they are past their due date
// (current, 1–30, 31–60, 61–90, over 90 days), summed per currency in minor units. Computed
// here from each invoice's `due_date` and `amount_due`.

export const BUCKETS = ['Not yet due', '1–30 days', '31–60 days', '61–90 days', 'Over 90 days'] as const

/** The states in which an invoice waits for money. */
export const OPEN_STATES = ['sent', 'partially_paid', 'overdue']

export interface AgingRow {
  currency: string
  /** Amount due per bucket, in minor units, in the order of `BUCKETS`. */
  buckets: bigint[]
  total: bigint
  /** How many invoices are in each bucket. */
  counts: number[]
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` date (a calendar date, no time zone). */
export function dayNumber (date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return null
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  // Date.UTC rolls 2026-13-01 over into 2027: only a date that reads back the same is one.
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return null
  return Math.round(ms / 86_400_000)
}

/** Today's date in the person's time zone, as `YYYY-MM-DD`. */
export function today (now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`
}

/** `date` plus `days` days, as `YYYY-MM-DD`. */
export function addDays (date: string, days: number): string | null {
  const n = dayNumber(date)
  if (n === null) return null
  return new Date((n + days) * 86_400_000).toISOString().slice(0, 10)
}

/** The bucket of an invoice `daysLate` days past its due date (0 or less: current). */
export function bucketOf (daysLate: number): number {
  if (daysLate <= 0) return 0
  if (daysLate <= 30) return 1
  if (daysLate <= 60) return 2
  if (daysLate <= 90) return 3
  return 4
}

export interface AgingInput { state?: string | null, due_date?: unknown, amount_due?: unknown, currency?: unknown }

/** The aging of the open invoices among `invoices` on `on` (`YYYY-MM-DD`), a row per currency. */
export function aging (invoices: AgingInput[], on: string): AgingRow[] {
  const day = dayNumber(on)
  const rows = new Map<string, AgingRow>()
  for (const inv of invoices) {
    if (!OPEN_STATES.includes(inv.state ?? '')) continue
    const due = typeof inv.amount_due === 'number' ? BigInt(Math.trunc(inv.amount_due)) : 0n
    if (due <= 0n) continue
    const currency = typeof inv.currency === 'string' ? inv.currency.toUpperCase() : '?'
    const dueDay = typeof inv.due_date === 'string' ? dayNumber(inv.due_date) : null
    const b = day === null || dueDay === null ? 0 : bucketOf(day - dueDay)
    let row = rows.get(currency)
    if (!row) {
      row = { currency, buckets: BUCKETS.map(() => 0n), total: 0n, counts: BUCKETS.map(() => 0) }
      rows.set(currency, row)
    }
    row.buckets[b] += due
    row.counts[b]++
    row.total += due
  }
  return [...rows.values()].sort((a, b) => a.currency.localeCompare(b.currency))
}

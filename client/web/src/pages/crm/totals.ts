// Sums of money per currency, in minor units (never mixed across currencies): the deals of a
// column or of a client, and what a client's open invoices still owe.
import { OPEN_STATES } from '../invoices/aging'
import type { Deal } from './api'

/** A sum in one currency, and how many records it adds up. */
export interface MoneyTotal { currency: string, amount: number, count: number }

/** The sum of `deals`' amounts per currency (minor units), currencies in code order. */
export function totalsByCurrency (deals: Deal[]): MoneyTotal[] {
  const sums = new Map<string, MoneyTotal>()
  for (const d of deals) {
    if (typeof d.amount !== 'number') continue
    const currency = (d.currency ?? '').toUpperCase() || '—'
    const t = sums.get(currency) ?? { currency, amount: 0, count: 0 }
    t.amount += d.amount
    t.count += 1
    sums.set(currency, t)
  }
  return [...sums.values()].sort((a, b) => a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0)
}

/** What `invoices` still owe per currency: the amounts due of the open ones (sent, partially
 * paid, overdue), currencies in code order. */
export function owedByCurrency (invoices: { state?: string | null, amount_due?: number | null, currency?: string | null }[]): MoneyTotal[] {
  const sums = new Map<string, MoneyTotal>()
  for (const inv of invoices) {
    if (!OPEN_STATES.includes(inv.state ?? '') || typeof inv.amount_due !== 'number' || !inv.currency) continue
    const currency = inv.currency.toUpperCase()
    const t = sums.get(currency) ?? { currency, amount: 0, count: 0 }
    t.amount += inv.amount_due
    t.count += 1
    sums.set(currency, t)
  }
  return [...sums.values()].sort((a, b) => a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0)
}

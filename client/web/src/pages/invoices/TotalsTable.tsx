// An invoice's figures under its lines: subtotal, discount, the tax summary per rate (CGST and
// SGST on their own rows under GST), tax, total, and once money came in, paid and amount due.
import type { Invoice } from './api'
import { formatMinor, type Figures, type TaxRow } from './totals'

export interface ShownFigures { subtotal: bigint, discount: bigint, tax: bigint, total: bigint, taxes: TaxRow[] }

/** The server's figures of a saved invoice (null when it has none, e.g. lines it refused). */
export function serverFigures (inv: Invoice): ShownFigures | null {
  if (typeof inv.total !== 'number' || typeof inv.subtotal !== 'number') return null
  return {
    subtotal: BigInt(inv.subtotal),
    discount: BigInt(inv.discount_total ?? 0),
    tax: BigInt(inv.tax_total ?? 0),
    total: BigInt(inv.total),
    taxes: (inv.taxes ?? []).map((t) => ({ label: t.label, rate: t.rate, taxable: BigInt(t.taxable), amount: BigInt(t.amount) }))
  }
}

export function liveShown (f: Figures): ShownFigures {
  return { subtotal: f.subtotal, discount: f.discount, tax: f.tax, total: f.total, taxes: f.taxes }
}

export function TotalsTable ({ figures, currency, caption, paid, due, source }: { figures: ShownFigures, currency: string, caption: string, paid?: number, due?: number, source: 'live' | 'saved' }) {
  const m = (v: bigint | number) => formatMinor(v, currency)
  return (
    <table class='totals' data-testid='totals' data-source={source}>
      <caption class='muted small'>{caption}</caption>
      <tbody>
        <tr><th scope='row'>Subtotal</th><td data-testid='subtotal'>{m(figures.subtotal)}</td></tr>
        {figures.discount > 0n && <tr><th scope='row'>Discount</th><td data-testid='discount-total'>−{m(figures.discount)}</td></tr>}
        {figures.taxes.map((t) => (
          <tr key={t.label} data-testid='tax-row'>
            <th scope='row'>{t.label} <span class='muted small'>on {m(t.taxable)}</span></th>
            <td>{m(t.amount)}</td>
          </tr>
        ))}
        <tr><th scope='row'>Tax</th><td data-testid='tax-total'>{m(figures.tax)}</td></tr>
        <tr class='grand'><th scope='row'>Total</th><td data-testid='total'>{m(figures.total)}</td></tr>
        {paid !== undefined && paid > 0 && <tr><th scope='row'>Paid</th><td data-testid='amount-paid'>−{m(paid)}</td></tr>}
        {due !== undefined && <tr class='due'><th scope='row'>Amount due</th><td data-testid='amount-due'>{m(due)}</td></tr>}
      </tbody>
    </table>
  )
}

// Beside an invoice: the payments recorded against it and its history (changes, sending, e-mails
// and reminders, payments), both read again whenever the invoice changes.
import { userById } from '../../lib/session'
import { formatTime } from '../../lib/text'
import type { FieldDef, RecordHistoryEntry } from '../../lib/types'
import { ErrorBox, useAsync } from '../../ui/common'
import { recordsApi } from '../records/api'
import { historyChange } from '../records/values'
import { invoicesApi, METHODS, type Invoice } from './api'
import { money, stateLabel, useClientNames } from './bits'

export function PaymentsList ({ org, invoice }: { org: string, invoice: Invoice }) {
  const list = useAsync((signal) => invoicesApi.payments(org, invoice.id, signal), [invoice.id, invoice.version])
  const items = list.data?.items ?? []
  const method = (m: string | null | undefined) => METHODS.find((x) => x.value === m)?.label ?? m ?? ''
  return (
    <section aria-labelledby='payments-head'>
      <h2 id='payments-head'>Payments</h2>
      <ErrorBox error={list.error} retry={list.reload} />
      {items.length === 0
        ? <p class='muted small' data-testid='no-payments'>{invoice.state === 'draft' ? 'Payments are recorded once the invoice is sent.' : 'No payments yet.'}</p>
        : (
          <ul class='list' data-testid='payments'>
            {items.map((p) => (
              <li key={p.id} class='list-row'>
                <div class='grow'>
                  <strong>{money(p.amount, p.currency ?? invoice.currency)}</strong> <span class='muted small'>on {p.date}</span>
                  <div class='muted small'>{p.name} · {method(p.method)}{p.reference ? ` · ${p.reference}` : ''}</div>
                </div>
              </li>
            ))}
          </ul>
          )}
    </section>
  )
}

function what (e: RecordHistoryEntry): string {
  if (e.kind === 'transitioned') {
    if (e.action === 'send') return 'sent it'
    if (e.action === 'void') return 'voided it'
    const to = e.changes.find((c) => c.field === 'state')?.after
    return to ? `moved it to ${stateLabel(String(to)).toLowerCase()}` : `took “${e.action ?? 'a step'}”`
  }
  if (e.kind === 'emailed') return 'e-mailed it'
  if (e.kind === 'reminded') return 'sent a reminder'
  if (e.kind === 'created') return 'created it'
  if (e.kind === 'amended') return 'amended it'
  return 'changed it'
}

/** Figures the server recomputes on every change: listed once, not as a change each. */
const NOISE = new Set(['subtotal', 'discount_total', 'tax_total', 'taxes', 'state', 'name'])

export function InvoiceHistory ({ invoice, fields }: { invoice: Invoice, fields: FieldDef[] }) {
  const list = useAsync((signal) => recordsApi.history(invoice.id, signal), [invoice.id, invoice.version])
  const clientIds = (list.data?.items ?? []).flatMap((e) => e.changes.filter((c) => c.field === 'client').flatMap((c): unknown[] => [c.before, c.after])).filter((v): v is string => typeof v === 'string')
  const clientName = useClientNames(clientIds)
  const names = (id: string) => userById.value.get(id)?.name ?? clientName(id)
  const items = [...(list.data?.items ?? [])].reverse()
  const currency = String(invoice.currency ?? 'EUR')
  return (
    <section aria-labelledby='inv-history-head'>
      <h2 id='inv-history-head'>History</h2>
      <ErrorBox error={list.error} retry={list.reload} />
      <ol class='history' data-testid='history'>
        {items.map((e) => {
          // A creation lists every field: the invoice itself shows them.
          const changes = e.kind === 'created' ? [] : e.changes.filter((c) => !NOISE.has(c.field) && !/^taxes\[/.test(c.field))
          return (
            <li key={e.id}>
              <div><strong>{e.user_id ? (userById.value.get(e.user_id)?.name ?? 'Someone') : 'Atrium'}</strong> {what(e)} <span class='muted small'>{formatTime(e.at)}</span></div>
              {e.comment && <blockquote class='history-comment'>{e.comment}</blockquote>}
              {changes.length > 0 && (
                <ul class='history-changes'>
                  {changes.slice(0, 12).map((c, i) => {
                    const before = historyChange(fields, c.field, c.before, currency, names)
                    const after = historyChange(fields, c.field, c.after, currency, names)
                    return <li key={i}><strong>{after.label}</strong>: {before.text} → {after.text}</li>
                  })}
                  {changes.length > 12 && <li class='muted'>and {changes.length - 12} more</li>}
                </ul>
              )}
            </li>
          )
        })}
      </ol>
    </section>
  )
}

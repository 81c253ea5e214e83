// A client's invoices (number linking to the invoice editor, the invoices list's status chip,
// dates, total, amount due, and what the open ones still owe per currency) and its payments.
import type { RecordType } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { METHODS, type Client, type Invoice, type Payment } from '../invoices/api'
import { StatusChip } from '../invoices/bits'
import { amountText } from './bits'
import type { Loaded } from './ClientContacts'
import { owedByCurrency } from './totals'

export function ClientInvoices ({ org, client, invoiceType, list }: { org: string, client: Client, invoiceType: RecordType | null, list: Loaded<Invoice> }) {
  const items = list.data?.items ?? []
  const due = owedByCurrency(items)
  return (
    <section class='crm-section' aria-labelledby='invoices-head' data-testid='client-invoices'>
      <div class='section-head'>
        <h2 id='invoices-head'>Invoices <span class='muted small'>({items.length}{list.data && !list.data.complete ? '+' : ''})</span></h2>
        <div class='row'>
          {items.length > 0 && <a class='btn btn-small' href={`/o/${org}/invoices?client=${client.id}`}>In the invoices list</a>}
          {invoiceType?.can.create && <a class='btn btn-small' href={`/o/${org}/invoices/new`}>New invoice</a>}
        </div>
      </div>
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? <p class='muted'>No invoices yet.</p>
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='client-invoices-table'>
                  <caption class='sr-only'>Invoices to {client.name}</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Number</th>
                      <th scope='col'>Status</th>
                      <th scope='col'>Issued</th>
                      <th scope='col'>Due</th>
                      <th scope='col' class='num'>Total</th>
                      <th scope='col' class='num'>Amount due</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((inv) => (
                      <tr key={inv.id} data-invoice={inv.id}>
                        <td><a href={`/o/${org}/invoices/${inv.id}`}>{inv.name}</a></td>
                        <td><StatusChip state={inv.state} /></td>
                        <td>{inv.issue_date ?? '—'}</td>
                        <td>{inv.due_date ?? '—'}</td>
                        <td class='num'>{amountText(inv.total, inv.currency)}</td>
                        <td class='num'>{inv.state === 'draft' || inv.state === 'void' ? <span class='muted'>—</span> : amountText(inv.amount_due, inv.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                  {due.length > 0 && (
                    <tfoot>
                      <tr data-testid='client-owed'>
                        <th scope='row' colSpan={5}>Still owed</th>
                        <td class='num'>{due.map((t) => <div key={t.currency}>{amountText(t.amount, t.currency)}</div>)}</td>
                      </tr>
                    </tfoot>
                  )}
                </table>
              </div>
              )}
    </section>
  )
}

const METHOD_LABEL = new Map(METHODS.map((m) => [m.value, m.label]))

export function ClientPayments ({ org, list, invoices }: { org: string, list: Loaded<Payment>, invoices: Invoice[] }) {
  const items = list.data?.items ?? []
  const invoiceName = new Map(invoices.map((i) => [i.id, i.name]))
  return (
    <section class='crm-section' aria-labelledby='payments-head' data-testid='client-payments'>
      <h2 id='payments-head'>Payments <span class='muted small'>({items.length}{list.data && !list.data.complete ? '+' : ''})</span></h2>
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? <p class='muted'>No payments yet.</p>
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='client-payments-table'>
                  <caption class='sr-only'>Payments received</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Payment</th>
                      <th scope='col'>Date</th>
                      <th scope='col'>Invoice</th>
                      <th scope='col'>Method</th>
                      <th scope='col' class='num'>Amount</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((p) => (
                      <tr key={p.id} data-payment={p.id}>
                        <td><a href={`/o/${org}/records/payment/${p.id}`}>{p.name}</a>{p.reference ? <div class='muted small'>{p.reference}</div> : null}</td>
                        <td>{p.date ?? '—'}</td>
                        <td>{p.invoice ? <a href={`/o/${org}/invoices/${p.invoice}`}>{invoiceName.get(p.invoice) ?? 'Invoice'}</a> : '—'}</td>
                        <td>{p.method ? METHOD_LABEL.get(p.method) ?? p.method : '—'}</td>
                        <td class='num'>{amountText(p.amount, p.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              )}
    </section>
  )
}

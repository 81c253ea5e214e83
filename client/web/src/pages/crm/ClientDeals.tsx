// A client's deals: name, stage, amount, probability, expected close and owner, the open ones'
// total per currency, and a new deal added in place with the deal type's generated form (this
// client, its currency and the person adding it already filled in).
import { me, toast } from '../../lib/session'
import type { RecordType } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { RecordForm } from '../records/RecordForm'
import type { Client } from '../invoices/api'
import type { Deal } from './api'
import { amountText, ownerName, StageChip, withDefaults } from './bits'
import { upsert, type Loaded } from './ClientContacts'
import type { Editing } from './ClientPage'
import { totalsByCurrency } from './totals'

/** Stages whose deals are still to be won or lost. */
const CLOSED = ['won', 'lost']

export function ClientDeals ({ org, client, type, list, editing, setEditing }: { org: string, client: Client, type: RecordType, list: Loaded<Deal>, editing: Editing, setEditing: (e: Editing) => void }) {
  const items = list.data?.items ?? []
  const adding = editing === 'deal:new'
  const open = totalsByCurrency(items.filter((d) => !CLOSED.includes(d.state ?? '')))
  const formType = withDefaults(type, { client: client.id, currency: client.currency ?? undefined, assignee: me.value?.user.id })
  return (
    <section class='crm-section' aria-labelledby='deals-head' data-testid='deals'>
      <div class='section-head'>
        <h2 id='deals-head'>Deals <span class='muted small'>({items.length}{list.data && !list.data.complete ? '+' : ''})</span></h2>
        <div class='row'>
          <a class='btn btn-small' href={`/o/${org}/pipeline`}>Pipeline</a>
          {type.can.create && !adding && <button type='button' class='btn btn-small' onClick={() => setEditing('deal:new')}>New deal</button>}
        </div>
      </div>
      <ErrorBox error={list.error} retry={list.reload} />
      {adding && (
        <div class='inline-form' data-testid='new-deal'>
          <div class='section-head'><h3>New deal for {client.name}</h3><button type='button' class='btn btn-small' onClick={() => setEditing(null)}>Cancel</button></div>
          <RecordForm org={org} type={formType} record={null} onSaved={(d) => { list.setData((x) => upsert(x, d as Deal)); setEditing(null); toast(`${d.name} added`, 'success', 2500) }} />
        </div>
      )}
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? !adding && <p class='muted'>No deals yet.</p>
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='deals-table'>
                  <caption class='sr-only'>Deals with {client.name}</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Deal</th>
                      <th scope='col'>Stage</th>
                      <th scope='col' class='num'>Amount</th>
                      <th scope='col' class='num'>Probability</th>
                      <th scope='col'>Expected close</th>
                      <th scope='col'>Owner</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((d) => (
                      <tr key={d.id} data-deal={d.id}>
                        <td><a href={`/o/${org}/records/deal/${d.id}`}>{d.name}</a></td>
                        <td><StageChip stage={d.state} /></td>
                        <td class='num'>{amountText(d.amount, d.currency)}</td>
                        <td class='num'>{d.probability !== null && d.probability !== undefined ? `${d.probability} %` : '—'}</td>
                        <td>{d.expected_close ?? '—'}</td>
                        <td>{ownerName(d)}</td>
                      </tr>
                    ))}
                  </tbody>
                  {open.length > 0 && (
                    <tfoot>
                      <tr data-testid='open-deals-total'>
                        <th scope='row' colSpan={2}>Open deals</th>
                        <td class='num'>{open.map((t) => <div key={t.currency}>{amountText(t.amount, t.currency)}</div>)}</td>
                        <td colSpan={3} />
                      </tr>
                    </tfoot>
                  )}
                </table>
              </div>
              )}
    </section>
  )
}

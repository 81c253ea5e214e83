// One client on one page: its fields (the client type's generated form, for those who may
// change it), its contacts (added and edited in place), its deals with their stages, its
// invoices with their status and what is still due, and its payments. One form is open at a
// time (each is the records' RecordForm, whose inputs are named by field). Everything stays
// live: a change by anyone to this client or to a contact, deal, invoice or payment of it is
// shown without a reload.
import { useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { toast } from '../../lib/session'
import type { BizRecord, RecordType } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { recordsApi, typesApi } from '../records/api'
import { RecordForm } from '../records/RecordForm'
import { currencyOf, display, labelOf } from '../records/values'
import type { Client, Invoice, Payment } from '../invoices/api'
import { listAll, type Contact, type Deal } from './api'
import { useDebounced, useTypesLive } from './bits'
import { ClientContacts } from './ClientContacts'
import { ClientDeals } from './ClientDeals'
import { ClientInvoices, ClientPayments } from './ClientBilling'

/** Which form is open: the client's, a contact's (`contact:<id>`, `contact:new`) or a new deal's. */
export type Editing = string | null

const LIVE_TYPES = ['client', 'contact', 'deal', 'invoice', 'payment']

/** `/o/{org}/clients/{id}`. */
export function ClientPage ({ org, id }: { org: string, id: string }) {
  const types = useAsync(async (signal) => {
    const [client, contact, deal, invoice] = await Promise.all([
      typesApi.get(org, 'client', signal),
      typesApi.get(org, 'contact', signal),
      typesApi.get(org, 'deal', signal),
      typesApi.get(org, 'invoice', signal).catch(() => null)
    ])
    return { client, contact, deal, invoice }
  }, [org])
  const rec = useAsync((signal) => recordsApi.get(id, signal) as Promise<Client>, [id])
  const of = { client: id }
  const contacts = useAsync((signal) => listAll<Contact>(org, 'contact', { ...of, sort: 'name' }, signal), [org, id])
  const deals = useAsync((signal) => listAll<Deal>(org, 'deal', { ...of, sort: 'expected_close' }, signal), [org, id])
  const invoices = useAsync((signal) => listAll<Invoice>(org, 'invoice', { ...of, sort: '-issue_date' }, signal), [org, id])
  const payments = useAsync((signal) => listAll<Payment>(org, 'payment', { ...of, sort: '-date' }, signal), [org, id])
  const [editing, setEditing] = useState<Editing>(null)
  const [removed, setRemoved] = useState(false)
  const client = rec.data
  useTitle(client ? `${client.name} · Clients` : 'Client')

  const lists: Record<string, { reload: () => void, data?: { items: BizRecord[] } }> = { contact: contacts, deal: deals, invoice: invoices, payment: payments }
  const refresh: Record<string, () => void> = {
    contact: useDebounced(() => contacts.reload(), 250),
    deal: useDebounced(() => deals.reload(), 250),
    invoice: useDebounced(() => invoices.reload(), 250),
    payment: useDebounced(() => payments.reload(), 250)
  }
  const listed = (type: string, rid: string) => !!lists[type]?.data?.items.some((r) => r.id === rid)
  useTypesLive(LIVE_TYPES, {
    onRecord: (r) => {
      if (r.type === 'client') {
        // An event carries what its author may do, not this reader: keep our own `can`.
        if (r.id === id) rec.setData((cur) => !cur ? r as Client : r.version > cur.version ? { ...(r as Client), can: cur.can } : cur)
        return
      }
      // Ours now, or ours until now (a contact moved to another client).
      if (r.client === id || listed(r.type, r.id)) refresh[r.type]?.()
    },
    onRemoved: (rid, type) => {
      if (type === 'client') { if (rid === id) setRemoved(true); return }
      if (listed(type, rid)) refresh[type]?.()
    },
    onResync: () => { rec.reload(); for (const l of Object.values(lists)) l.reload() }
  })

  if (rec.error || types.error) {
    const missing = rec.error instanceof ApiError && rec.error.status === 404
    return <section class='page'>{missing ? <Empty title='No such client'><a href={`/o/${org}/clients`}>Back to the clients</a></Empty> : <ErrorBox error={rec.error ?? types.error} retry={() => { rec.reload(); types.reload() }} />}</section>
  }
  if (!client || !types.data) return <section class='page'><Spinner /></section>
  if (client.type !== 'client') return <section class='page'><Empty title='This record is not a client'><a href={`/o/${org}/records/${client.type}/${client.id}`}>Open it as a record</a></Empty></section>
  if (removed) return <section class='page'><Empty title='This client was deleted'><a href={`/o/${org}/clients`}>Back to the clients</a></Empty></section>
  const t = types.data
  return (
    <section class='page crm-page client-page'>
      <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/clients`}>Clients</a> › {client.name}</nav>
      <div class='page-head'>
        <h1 data-testid='client-name'>{client.name}</h1>
        <div class='row wrap'>
          <a class='btn' href={`/o/${org}/records/client/${client.id}`}>History and discussion</a>
        </div>
      </div>
      <ClientFields org={org} type={t.client} client={client} editing={editing === 'client'} onEdit={(on) => setEditing(on ? 'client' : null)} onSaved={(next) => { rec.setData(() => next); setEditing(null); toast('Client saved', 'success', 2500) }} />
      <ClientContacts org={org} client={client} type={t.contact} list={contacts} editing={editing} setEditing={setEditing} />
      <ClientDeals org={org} client={client} type={t.deal} list={deals} editing={editing} setEditing={setEditing} />
      <ClientInvoices org={org} client={client} invoiceType={t.invoice} list={invoices} />
      <ClientPayments org={org} list={payments} invoices={invoices.data?.items ?? []} />
    </section>
  )
}

/** The client's fields: read as a list, and its generated form while it is being edited. */
function ClientFields ({ org, type, client, editing, onEdit, onSaved }: { org: string, type: RecordType, client: Client, editing: boolean, onEdit: (on: boolean) => void, onSaved: (c: Client) => void }) {
  const currency = currencyOf(client)
  const fields = type.fields.filter((f) => f.name !== 'name')
  return (
    <section class='crm-section' aria-labelledby='client-fields-head' data-testid='client-fields'>
      <div class='section-head'>
        <h2 id='client-fields-head'>Details</h2>
        {client.can.write && (editing
          ? <button type='button' class='btn btn-small' onClick={() => onEdit(false)}>Cancel</button>
          : <button type='button' class='btn btn-small' onClick={() => onEdit(true)}>Edit details</button>)}
      </div>
      {editing
        ? <RecordForm org={org} type={type} record={client} onSaved={(r) => onSaved(r as Client)} />
        : (
          <dl class='client-details'>
            {fields.map((f) => {
              const text = display(f, client[f.name], currency)
              return (
                <div key={f.name} class={f.type === 'long_text' ? 'span-2' : ''}>
                  <dt>{labelOf(f)}</dt>
                  <dd data-testid={`client-${f.name}`}>{text || <span class='muted'>—</span>}</dd>
                </div>
              )
            })}
          </dl>
          )}
      {!client.can.write && <p class='muted small'>You may read this client but not change it.</p>}
    </section>
  )
}

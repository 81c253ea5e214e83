// The clients of an organisation: found by name as it is typed, listed with their billing
// e-mail, currency and payment terms, each opening its client page; "New client" is the
// client type's generated form in a dialog. Live: others' new, changed and deleted clients
// refresh the list.
import { useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { toast, toastError } from '../../lib/session'
import type { BizRecord, RecordType } from '../../lib/types'
import { Empty, ErrorBox, Modal, Spinner, useAsync, useTitle } from '../../ui/common'
import { recordsApi, typesApi } from '../records/api'
import { RecordForm } from '../records/RecordForm'
import { useRecordsLive } from '../records/useRecordsLive'
import type { Client } from '../invoices/api'
import { useDebounced } from './bits'

const PAGE = 50

export function ClientList ({ org }: { org: string }) {
  useTitle('Clients')
  const type = useAsync((signal) => typesApi.get(org, 'client', signal), [org])
  const [text, setText] = useState('')
  const [term, setTerm] = useState('')
  const [creating, setCreating] = useState(false)
  const [more, setMore] = useState(false)
  const search = useDebounced(() => setTerm(text.trim()), 200)
  const params = { 'name.contains': term || undefined, sort: 'name' }
  const list = useAsync((signal) => recordsApi.list(org, 'client', { ...params, limit: String(PAGE) }, signal), [org, term])
  const refresh = useDebounced(() => list.reload(), 300)
  useRecordsLive('client', { onRecord: refresh, onRemoved: refresh, onResync: refresh })
  const items = (list.data?.items ?? []) as Client[]
  async function loadMore () {
    const next = list.data?.next
    if (!next || more) return
    setMore(true)
    try {
      const page = await recordsApi.list(org, 'client', { ...params, limit: String(PAGE), cursor: next })
      list.setData((d) => ({ ...page, items: [...(d?.items ?? []), ...page.items] }))
    } catch (e) { toastError(e) } finally { setMore(false) }
  }
  const t: RecordType | undefined = type.data
  return (
    <section class='page crm-page'>
      <div class='page-head'>
        <h1>Clients</h1>
        <div class='row wrap'>
          <a class='btn' href={`/o/${org}/pipeline`}>Deal pipeline</a>
          {t?.can.create && <button class='btn btn-primary' onClick={() => setCreating(true)}>New client</button>}
        </div>
      </div>
      <div class='crm-search' role='search'>
        <label for='client-search'>Find clients by name</label>
        <input id='client-search' type='search' value={text} placeholder='Name contains…' onInput={(e) => { setText(e.currentTarget.value); search() }} />
      </div>
      <ErrorBox error={list.error ?? type.error} retry={() => { list.reload(); type.reload() }} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? (
              <Empty title={term ? `No client’s name contains “${term}”` : 'No clients yet'}>
                {!term && t?.can.create && <button class='btn-link' onClick={() => setCreating(true)}>Add the first client</button>}
              </Empty>
              )
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='clients-table'>
                  <caption class='sr-only'>Clients{term ? ` whose name contains “${term}”` : ''}</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Name</th>
                      <th scope='col'>E-mail for invoices</th>
                      <th scope='col'>Currency</th>
                      <th scope='col' class='num'>Payment terms</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((c) => (
                      <tr key={c.id} data-client={c.id}>
                        <td><a href={`/o/${org}/clients/${c.id}`}>{c.name}</a></td>
                        <td>{c.email || <span class='muted'>—</span>}</td>
                        <td>{c.currency ?? '—'}</td>
                        <td class='num'>{typeof c.payment_terms_days === 'number' ? `${c.payment_terms_days} days` : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              )}
      {list.data?.next && <button class='btn' onClick={loadMore} disabled={more}>Load more</button>}
      <span class='sr-only' aria-live='polite'>{list.data && term ? `${items.length}${list.data.next ? ' or more' : ''} clients found` : ''}</span>
      {creating && t && (
        <Modal title='New client' wide onClose={() => setCreating(false)}>
          <RecordForm org={org} type={t} record={null} onSaved={(c: BizRecord) => { setCreating(false); toast(`${c.name} added`, 'success', 2500); navigate(`/o/${org}/clients/${c.id}`) }} />
        </Modal>
      )}
    </section>
  )
}

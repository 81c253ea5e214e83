// The invoices of an organisation: the receivables aging of the open ones (per currency, by days
// past due), filters by status and client, and the list — number, client, status, issue and due
// dates, total, amount due — newest first, with "Load more" pages. Live: others' new invoices,
// payments and sends refresh it. "Invoice from time" drafts one from approved timesheet time.
import { useEffect, useRef, useState } from 'preact/hooks'
import { query, navigate } from '../../lib/router'
import { toastError } from '../../lib/session'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { typesApi } from '../records/api'
import { useRecordsLive } from '../records/useRecordsLive'
import { aging, BUCKETS, OPEN_STATES, today } from './aging'
import { allPages, invoicesApi, STATES, type Client, type Invoice } from './api'
import { ClientPicker, money, STATE_LABEL, StatusChip, useClientNames } from './bits'
import { formatMinor } from './totals'
import { FromTimeDialog } from './FromTimeDialog'

const PAGE = 50

export function InvoiceList ({ org }: { org: string }) {
  useTitle('Invoices')
  const type = useAsync((signal) => typesApi.get(org, 'invoice', signal), [org])
  const status = query.value.get('status') ?? ''
  const client = query.value.get('client') ?? ''
  const params: Record<string, string | undefined> = {
    sort: '-issue_date',
    ...(status === 'open' ? { 'state.in': OPEN_STATES.join(',') } : status ? { state: status } : {}),
    client: client || undefined
  }
  const key = JSON.stringify(params)
  const list = useAsync((signal) => invoicesApi.list(org, { ...params, limit: String(PAGE) }, signal), [org, key])
  const open = useAsync((signal) => allPages(org, { 'state.in': OPEN_STATES.join(','), client: client || undefined }, signal), [org, client])
  const [more, setMore] = useState(false)
  const [fromTime, setFromTime] = useState(false)
  const items = list.data?.items ?? []
  const clientName = useClientNames(items.map((i) => i.client))
  const refresh = useDebounced(() => { list.reload(); open.reload() }, 300)
  useRecordsLive('invoice', { onRecord: refresh, onRemoved: refresh, onResync: refresh })

  function filter (change: Record<string, string>) {
    const q = new URLSearchParams(query.value)
    for (const [k, v] of Object.entries(change)) { if (v) q.set(k, v); else q.delete(k) }
    const s = q.toString()
    navigate(`/o/${org}/invoices${s ? `?${s}` : ''}`, { replace: true })
  }
  async function loadMore () {
    const next = list.data?.next
    if (!next || more) return
    setMore(true)
    try {
      const page = await invoicesApi.list(org, { ...params, limit: String(PAGE), cursor: next })
      list.setData((d) => ({ ...page, items: [...(d?.items ?? []), ...page.items] }))
    } catch (e) { toastError(e) } finally { setMore(false) }
  }
  const can = type.data?.can
  return (
    <section class='page invoices-page'>
      <div class='page-head'>
        <h1>Invoices</h1>
        <div class='row wrap'>
          {can?.write && <a class='btn' href={`/o/${org}/invoices/settings`}>Invoice settings</a>}
          {can?.create && <button type='button' class='btn' onClick={() => setFromTime(true)}>Invoice from time…</button>}
          {can?.create && <a class='btn btn-primary' href={`/o/${org}/invoices/new`}>New invoice</a>}
        </div>
      </div>
      <Aging invoices={open.data?.items ?? []} complete={open.data?.complete ?? true} loading={open.loading && !open.data} error={open.error} retry={open.reload} />
      <div class='invoice-filters' role='search' aria-label='Filter invoices'>
        <fieldset class='status-filter'>
          <legend>Status</legend>
          {['', 'open', ...STATES].map((s) => (
            <button key={s} type='button' class={'status-toggle ' + (s && s !== 'open' ? `status status-${s}` : 'btn btn-small')} aria-pressed={status === s} onClick={() => filter({ status: s })}>
              {s === '' ? 'All' : s === 'open' ? 'Open (unpaid)' : STATE_LABEL[s as keyof typeof STATE_LABEL]}
            </button>
          ))}
        </fieldset>
        <ClientFilter org={org} value={client} onChange={(c) => filter({ client: c?.id ?? '' })} />
      </div>
      <ErrorBox error={list.error ?? type.error} retry={() => { list.reload(); type.reload() }} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? (
              <Empty title={status || client ? 'No invoices match these filters' : 'No invoices yet'}>
                {can?.create && !status && !client && <a href={`/o/${org}/invoices/new`}>Create the first invoice</a>}
              </Empty>
              )
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='invoices-table'>
                  <caption class='sr-only'>Invoices{status ? `, ${status === 'open' ? 'open' : STATE_LABEL[status as keyof typeof STATE_LABEL]}` : ''}</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Number</th>
                      <th scope='col'>Client</th>
                      <th scope='col'>Status</th>
                      <th scope='col'>Issued</th>
                      <th scope='col'>Due</th>
                      <th scope='col' class='num'>Total</th>
                      <th scope='col' class='num'>Amount due</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((inv) => <InvoiceRow key={inv.id} org={org} inv={inv} client={clientName(inv.client)} />)}
                  </tbody>
                </table>
              </div>
              )}
      {list.data?.next && <button class='btn' onClick={loadMore} disabled={more}>Load more</button>}
      {fromTime && <FromTimeDialog org={org} onClose={() => setFromTime(false)} />}
    </section>
  )
}

function InvoiceRow ({ org, inv, client }: { org: string, inv: Invoice, client?: string }) {
  const late = OPEN_STATES.includes(inv.state ?? '') && typeof inv.due_date === 'string' && inv.due_date < today()
  return (
    <tr data-invoice={inv.id}>
      <td><a href={`/o/${org}/invoices/${inv.id}`}>{inv.name}</a>{inv.reference ? <div class='muted small'>{inv.reference}</div> : null}</td>
      <td>{client ?? <span class='muted'>…</span>}</td>
      <td><StatusChip state={inv.state} /></td>
      <td>{inv.issue_date ?? '—'}</td>
      <td>{inv.due_date ?? '—'}{late && <span class='sr-only'> (past due)</span>}</td>
      <td class='num'>{money(inv.total, inv.currency)}</td>
      <td class='num'>{inv.state === 'draft' || inv.state === 'void' ? <span class='muted'>—</span> : money(inv.amount_due, inv.currency)}</td>
    </tr>
  )
}

function ClientFilter ({ org, value, onChange }: { org: string, value: string, onChange: (c: Client | null) => void }) {
  return <ClientPicker id='filter-client' org={org} value={value} label='Client' onChange={onChange} />
}

/** The open invoices' amount due by days past due, a row per currency. */
function Aging ({ invoices, complete, loading, error, retry }: { invoices: Invoice[], complete: boolean, loading: boolean, error: unknown, retry: () => void }) {
  const rows = aging(invoices, today())
  return (
    <section class='aging' aria-labelledby='aging-head' data-testid='aging'>
      <h2 id='aging-head'>Receivables aging</h2>
      <ErrorBox error={error} retry={retry} />
      {loading
        ? <Spinner />
        : rows.length === 0
          ? <p class='muted small'>Nothing is owed: no open invoice has an amount due.</p>
          : (
            <div class='inv-table-wrap'>
              <table class='inv-table'>
                <caption class='muted small left'>What open invoices still owe, by days past their due date</caption>
                <thead>
                  <tr>
                    <th scope='col'>Currency</th>
                    {BUCKETS.map((b) => <th key={b} scope='col' class='num'>{b}</th>)}
                    <th scope='col' class='num'>Total due</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.currency} data-currency={r.currency}>
                      <th scope='row'>{r.currency}</th>
                      {r.buckets.map((v, i) => (
                        <td key={i} class={'num' + (i > 0 && v > 0n ? ' late' : '')} data-bucket={i}>
                          {v > 0n ? formatMinor(v, r.currency) : <span class='muted'>—</span>}
                          {r.counts[i] > 0 && <div class='muted small'>{r.counts[i]} invoice{r.counts[i] === 1 ? '' : 's'}</div>}
                        </td>
                      ))}
                      <td class='num'><strong>{formatMinor(r.total, r.currency)}</strong></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            )}
      {!complete && <p class='muted small'>Only the first 2,000 open invoices are counted.</p>}
    </section>
  )
}

/** `fn` called once `ms` after the last call. */
function useDebounced (fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const latest = useRef(fn)
  latest.current = fn
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current) }, [])
  return () => {
    if (timer.current) clearTimeout(timer.current)
    timer.current = setTimeout(() => latest.current(), ms)
  }
}

// A type's records as a list: the columns each person chooses (kept per type in this browser),
// filters by field type, sort by a column's head, "Load more" pages (keyset cursors), the
// server's totals of money and number columns over the whole filtered set, bulk delete of the
// selected rows, CSV export of the filtered list and CSV import. The list is live: others'
// creations, changes and deletions refetch the rows shown (debounced), totals included.
import { useEffect, useRef, useState } from 'preact/hooks'
import { path } from '../../lib/router'
import { toast, toastError, userById } from '../../lib/session'
import type { BizRecord, FieldDef, RecordPage, RecordType } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle, confirmDialog } from '../../ui/common'
import { recordsApi, typesApi } from './api'
import { loadColumns, listable, saveColumns } from './columns'
import { FilterBar } from './FilterBar'
import { filterParams, nextSort, sortParam, type Filters } from './filters'
import { ImportDialog } from './ImportDialog'
import { useRecordsLive } from './useRecordsLive'
import { useLinkNames } from './useLinkNames'
import { display, labelOf, numeric, currencyOf } from './values'

const PAGE = 50
const MAX_PAGE = 200

type Sort = { field: string, desc: boolean } | null

export function RecordList ({ org, type: slug }: { org: string, type: string }) {
  const type = useAsync((signal) => typesApi.get(org, slug, signal), [org, slug])
  useTitle(type.data?.name ?? 'Records')
  if (type.error) return <section class='page'><ErrorBox error={type.error} retry={type.reload} /></section>
  if (!type.data) return <section class='page'><Spinner /></section>
  return <ListOf key={`${org}/${slug}`} org={org} type={type.data} />
}

function ListOf ({ org, type }: { org: string, type: RecordType }) {
  const slug = type.slug
  const [filters, setFilters] = useState<Filters>({})
  const [sort, setSort] = useState<Sort>(null)
  const [columns, setColumns] = useState<string[]>(() => loadColumns(org, slug, type.fields))
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [importing, setImporting] = useState(false)
  const [more, setMore] = useState(false)
  const hasCurrencyField = type.fields.some((f) => f.name === 'currency')
  const { params: filterQuery, errors: filterErrors } = filterParams(type.fields, filters, 'EUR')
  const params: Record<string, string | undefined> = { ...filterQuery, sort: sortParam(sort) }
  const key = JSON.stringify(params)
  // Totals cover the whole filtered set, so they are asked for with the first page (and its
  // refreshes) only; further pages keep them.
  const list = useAsync((signal) => recordsApi.list(org, slug, { ...params, limit: String(PAGE), totals: 'true' }, signal), [org, slug, key])
  const items = list.data?.items ?? []
  // The rows shown, refetched as one page after others' changes (up to the largest page).
  const shown = useRef(PAGE)
  shown.current = Math.max(PAGE, Math.min(MAX_PAGE, items.length))
  const refresh = useDebounced(() => {
    recordsApi.list(org, slug, { ...params, limit: String(shown.current), totals: 'true' })
      .then((page) => list.setData(() => page), () => list.reload())
  }, 250)
  useRecordsLive(slug, {
    onRecord: () => refresh(),
    onRemoved: (id) => { setSelected((s) => { const n = new Set(s); n.delete(id); return n }); refresh() },
    onResync: () => list.reload()
  })
  useEffect(() => { setSelected(new Set()) }, [key])
  const fieldsShown = columns.map((n) => type.fields.find((f) => f.name === n)).filter((f): f is FieldDef => !!f)
  const linkName = useLinkNames(items, fieldsShown)
  const nameOf = (id: string) => userById.value.get(id)?.name ?? linkName(id)
  function chooseColumns (next: string[]) {
    setColumns(next)
    saveColumns(org, slug, next)
  }
  async function loadMore () {
    const next = list.data?.next
    if (!next || more) return
    setMore(true)
    try {
      const page = await recordsApi.list(org, slug, { ...params, limit: String(PAGE), cursor: next })
      list.setData((d) => ({ items: [...(d?.items ?? []), ...page.items], next: page.next, totals: d?.totals ?? page.totals }))
    } catch (e) { toastError(e) } finally { setMore(false) }
  }
  async function bulkDelete () {
    const ids = [...selected]
    if (!ids.length || !await confirmDialog({ title: `Delete ${ids.length} record${ids.length === 1 ? '' : 's'}?`, message: 'This cannot be undone.', action: 'Delete', danger: true })) return
    const failed: string[] = []
    for (const id of ids) {
      try { await recordsApi.remove(id) } catch (e) { failed.push(`${items.find((r) => r.id === id)?.name ?? id}: ${e instanceof Error ? e.message : String(e)}`) }
    }
    setSelected(new Set())
    list.reload()
    if (failed.length) toastError(new Error(`Not deleted — ${failed.join('; ')}`))
    else toast(`${ids.length} record${ids.length === 1 ? '' : 's'} deleted`, 'success')
  }
  const all = items.length > 0 && items.every((r) => selected.has(r.id))
  const canDeleteSome = items.some((r) => r.can.delete)
  return (
    <section class='page records-list-page'>
      <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/records`}>Records</a> › {type.name}</nav>
      <div class='page-head'>
        <h1>{type.name}{type.archived && <span class='chip'>archived</span>}</h1>
        <div class='row wrap'>
          {type.can.export && <a class='btn' href={recordsApi.exportUrl(org, slug, params)} download={`${slug}.csv`}>Export CSV</a>}
          {type.can.import && !type.archived && <button class='btn' onClick={() => setImporting(true)}>Import CSV</button>}
          {type.can.create && !type.archived && <a class='btn btn-primary' href={`/o/${org}/records/${slug}/new`}>New {type.name}</a>}
        </div>
      </div>
      <div class='row wrap list-tools'>
        <FilterBar fields={type.fields} filters={filters} errors={filterErrors} onChange={setFilters} />
        <ColumnPicker fields={listable(type.fields)} columns={columns} onChange={chooseColumns} />
      </div>
      {selected.size > 0 && (
        <div class='bulk-bar row' role='toolbar' aria-label='Bulk actions' data-testid='bulk-bar'>
          <strong>{selected.size} selected</strong>
          {canDeleteSome && <button class='btn btn-small btn-danger' onClick={bulkDelete}>Delete selected</button>}
          <button class='btn btn-small' onClick={() => setSelected(new Set())}>Clear selection</button>
        </div>
      )}
      <ErrorBox error={list.error} retry={list.reload} />
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? <Empty title={Object.keys(filterQuery).length ? 'No records match these filters' : `No ${type.name} records yet`} />
            : (
              <div class='table-wrap'>
                <table class='table records-table' data-testid='records-table'>
                  <thead>
                    <tr>
                      <th scope='col'><input type='checkbox' aria-label='Select all' checked={all} onChange={(e) => setSelected(e.currentTarget.checked ? new Set(items.map((r) => r.id)) : new Set())} /></th>
                      <SortHead label='Name' field='name' sort={sort} onSort={setSort} />
                      {type.workflow && <SortHead label='State' field='state' sort={sort} onSort={setSort} />}
                      {fieldsShown.map((f) => <SortHead key={f.name} label={labelOf(f)} field={f.name} sort={sort} onSort={f.type === 'multi_select' ? undefined : setSort} numeric={numeric(f.type)} />)}
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((r) => <Row key={r.id} org={org} slug={slug} r={r} fields={fieldsShown} nameOf={nameOf} withState={!!type.workflow} hasCurrency={hasCurrencyField} checked={selected.has(r.id)} onCheck={(on) => setSelected((s) => { const n = new Set(s); if (on) n.add(r.id); else n.delete(r.id); return n })} />)}
                  </tbody>
                  <Totals page={list.data} fields={fieldsShown} withState={!!type.workflow} hasCurrency={hasCurrencyField} items={items} />
                </table>
              </div>
              )}
      {list.data?.next && <button class='btn' onClick={loadMore} disabled={more}>Load more</button>}
      {importing && <ImportDialog org={org} type={type} onClose={() => setImporting(false)} onImported={(n) => { setImporting(false); toast(`${n} record${n === 1 ? '' : 's'} imported`, 'success'); list.reload() }} />}
      <span class='sr-only' aria-live='polite'>{path.value && list.data ? `${items.length} records shown` : ''}</span>
    </section>
  )
}

function SortHead ({ label, field, sort, onSort, numeric: num }: { label: string, field: string, sort: Sort, onSort?: (s: Sort) => void, numeric?: boolean }) {
  const active = sort?.field === field
  const aria = active ? (sort!.desc ? 'descending' : 'ascending') : 'none'
  return (
    <th scope='col' aria-sort={aria} class={num ? 'num' : ''}>
      {onSort
        ? <button type='button' class='btn-link sort-head' onClick={() => onSort(nextSort(sort, field))}>{label}{active ? (sort!.desc ? ' ↓' : ' ↑') : ''}</button>
        : label}
    </th>
  )
}

function Row ({ org, slug, r, fields, nameOf, withState, hasCurrency, checked, onCheck }: { org: string, slug: string, r: BizRecord, fields: FieldDef[], nameOf: (id: string) => string | undefined, withState: boolean, hasCurrency: boolean, checked: boolean, onCheck: (on: boolean) => void }) {
  const currency = hasCurrency ? currencyOf(r) : 'EUR'
  return (
    <tr class={checked ? 'selected' : ''} data-record={r.id}>
      <td><input type='checkbox' aria-label={`Select ${r.name}`} checked={checked} onChange={(e) => onCheck(e.currentTarget.checked)} /></td>
      <td><a href={`/o/${org}/records/${slug}/${r.id}`}>{r.name}</a></td>
      {withState && <td>{r.state && <span class='chip chip-state'>{r.state}</span>}</td>}
      {fields.map((f) => <td key={f.name} class={numeric(f.type) ? 'num' : ''}>{display(f, r[f.name], currency, nameOf)}</td>)}
    </tr>
  )
}

/** The server's totals over the filtered set; money is summed in minor units, shown in the
 * records' currency when they all share one. */
function Totals ({ page, fields, withState, hasCurrency, items }: { page?: RecordPage, fields: FieldDef[], withState: boolean, hasCurrency: boolean, items: BizRecord[] }) {
  const totals = (page?.totals ?? {}) as Record<string, unknown>
  if (!fields.some((f) => totals[f.name] !== undefined)) return null
  const currencies = new Set(items.map((r) => hasCurrency ? currencyOf(r) : 'EUR'))
  const currency = currencies.size === 1 ? [...currencies][0] : null
  return (
    <tfoot>
      <tr data-testid='totals'>
        <th scope='row' colSpan={withState ? 3 : 2}>Total (all matching)</th>
        {fields.map((f) => (
          <td key={f.name} class='num'>
            {totals[f.name] === undefined ? '' : f.type === 'money' && !currency ? `${String(totals[f.name])} (mixed currencies, minor units)` : display(f, totals[f.name], currency)}
          </td>
        ))}
      </tr>
    </tfoot>
  )
}

function ColumnPicker ({ fields, columns, onChange }: { fields: FieldDef[], columns: string[], onChange: (c: string[]) => void }) {
  return (
    <details class='picker column-picker'>
      <summary class='btn btn-small'>Columns</summary>
      <fieldset class='picker-menu'>
        <legend class='sr-only'>Columns shown</legend>
        {fields.map((f) => (
          <label key={f.name} class='check'>
            <input type='checkbox' checked={columns.includes(f.name)} onChange={(e) => onChange(e.currentTarget.checked ? fields.map((x) => x.name).filter((n) => n === f.name || columns.includes(n)) : columns.filter((n) => n !== f.name))} /> {labelOf(f)}
          </label>
        ))}
      </fieldset>
    </details>
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

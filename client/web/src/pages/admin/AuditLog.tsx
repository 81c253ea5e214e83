import { useEffect, useState } from 'preact/hooks'
import { api, qs } from '../../lib/api'
import type { components } from '../../lib/api-types'
import { orgCan } from '../../lib/session'
import type { OrgMember, Page } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import './audit.css'

type AuditEntry = components['schemas']['AuditEntry']

/** The filters as the form holds them: dates as `yyyy-mm-dd` in the viewer's time zone. */
interface Filters { actor: string, action: string, from: string, to: string }

const NO_FILTERS: Filters = { actor: '', action: '', from: '', to: '' }
const PAGE = 50

/** The query parameters of the listing and the export: a day's range in local time, in ms. */
export function auditParams (f: Filters): Record<string, string | number | undefined> {
  const start = (day: string) => day ? new Date(`${day}T00:00:00`).getTime() : undefined
  const end = (day: string) => day ? new Date(`${day}T23:59:59.999`).getTime() : undefined
  return { actor: f.actor || undefined, action: f.action.trim() || undefined, since: start(f.from), until: end(f.to) }
}

/**
 * Admin → Audit log: who did what in the organisation, newest first (owners and admins), with
 * filters that map one to one to the API's, "Load older" paging, and the same filters as a CSV
 * download. Others are told who can read it.
 */
export function AuditLog ({ org }: { org: string }) {
  useTitle('Audit log')
  const admin = !!orgCan(org)?.manage
  const members = useAsync((signal) => api.get<{ items: OrgMember[] }>(`/api/v1/orgs/${org}/members`, { signal }), [org])
  if (!admin) {
    const readers = members.data?.items.filter((m) => m.role === 'owner' || m.role === 'admin') ?? []
    return (
      <section class='page'>
        <h1>Audit log</h1>
        <Empty title='Only the organisation’s owners and admins read the audit log'>
          {readers.length > 0 && <p>Ask {readers.map((m) => m.user.name).join(', ')}.</p>}
        </Empty>
      </section>
    )
  }
  return <AuditTable org={org} members={members.data?.items ?? []} />
}

function AuditTable ({ org, members }: { org: string, members: OrgMember[] }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS)
  const [filters, setFilters] = useState<Filters>(NO_FILTERS)
  const [entries, setEntries] = useState<AuditEntry[]>([])
  const [next, setNext] = useState<string | null | undefined>(undefined)
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  const params = auditParams(filters)

  async function load (cursor?: string, signal?: AbortSignal) {
    setLoading(true)
    setError(null)
    try {
      const page = await api.get<Page<AuditEntry>>(`/api/v1/orgs/${org}/audit${qs({ ...params, limit: PAGE, cursor })}`, { signal })
      setEntries((old) => cursor ? [...old, ...page.items] : page.items)
      setNext(page.next)
    } catch (e) {
      if (!signal?.aborted) setError(e)
    } finally {
      if (!signal?.aborted) setLoading(false)
    }
  }
  useEffect(() => {
    const abort = new AbortController()
    void load(undefined, abort.signal)
    return () => abort.abort()
  }, [org, filters])

  function apply (e: Event) {
    e.preventDefault()
    setFilters(draft)
  }
  function clear () {
    setDraft(NO_FILTERS)
    setFilters(NO_FILTERS)
  }
  const set = (key: keyof Filters) => (e: Event) => setDraft({ ...draft, [key]: (e.currentTarget as HTMLInputElement).value })
  const filtered = Object.values(filters).some(Boolean)
  return (
    <section class='page'>
      <h1>Audit log</h1>
      <form class='audit-filters' onSubmit={apply} aria-label='Filter the audit log'>
        <div class='field'>
          <label for='audit-actor'>Actor</label>
          <select id='audit-actor' value={draft.actor} onChange={set('actor')}>
            <option value=''>Anyone</option>
            {members.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
          </select>
        </div>
        <div class='field'>
          <label for='audit-action'>Action</label>
          <input id='audit-action' value={draft.action} onInput={set('action')} placeholder='e.g. member.role_changed' spellcheck={false} />
        </div>
        <div class='field'>
          <label for='audit-from'>From</label>
          <input id='audit-from' type='date' value={draft.from} onInput={set('from')} />
        </div>
        <div class='field'>
          <label for='audit-to'>To</label>
          <input id='audit-to' type='date' value={draft.to} onInput={set('to')} />
        </div>
        <div class='row'>
          <button class='btn btn-primary'>Apply filters</button>
          {filtered && <button type='button' class='btn' onClick={clear}>Clear</button>}
          <a class='btn' href={`/api/v1/orgs/${org}/audit/export.csv${qs(params)}`} download>Download CSV</a>
        </div>
      </form>
      <ErrorBox error={error} retry={() => load()} />
      {entries.length === 0
        ? (loading ? <Spinner /> : !error && <Empty title={filtered ? 'No entries match these filters' : 'No entries yet'} />)
        : (
          <table class='audit-table' aria-label='Audit log entries'>
            <thead><tr><th scope='col'>Time</th><th scope='col'>Actor</th><th scope='col'>Action</th><th scope='col'>Target</th></tr></thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} data-testid='audit-row'>
                  <td class='audit-when'><time dateTime={new Date(e.created_at).toISOString()} title={new Date(e.created_at).toLocaleString()}>{new Date(e.created_at).toLocaleString()}</time></td>
                  <td>{e.actor_name ?? e.actor_id ?? 'Atrium'}</td>
                  <td><code>{e.action}</code></td>
                  <td>{e.target_type ? <>{e.target_type} <code class='muted'>{e.target_id}</code></> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
      {next && <div><button class='btn' onClick={() => load(next)} disabled={loading}>Load older</button></div>}
    </section>
  )
}

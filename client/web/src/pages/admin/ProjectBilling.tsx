// A project's billing (`GET/PUT /projects/{project}/billing`, its managers and org admins): the
// client its time is billed to and the hourly rates — the project's default and per person — in
// the client's currency, typed in major units and sent as minor units (records/money.ts). The
// invoices' "Invoice from time" prices approved timesheet time with them. A lazy chunk of its
// own (the money rules are not needed on first load).
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, qs } from '../../lib/api'
import { members, toast } from '../../lib/session'
import type { components } from '../../lib/api-types'
import type { BizRecord, RecordPage } from '../../lib/types'
import { ErrorBox, Spinner, useAsync } from '../../ui/common'
import { currencyDigits, moneyInput, parseMoney } from '../records/money'

type Billing = components['schemas']['ProjectBilling']
type Client = BizRecord & { currency?: string | null }
interface PersonRate { key: number, user: string, rate: string }

let seq = 0

export default function ProjectBilling ({ org, project }: { org: string, project: string }) {
  const billing = useAsync((signal) => api.get<Billing>(`/api/v1/projects/${project}/billing`, { signal }), [project])
  const clients = useAsync((signal) => api.get<Omit<RecordPage, 'items'> & { items: Client[] }>(`/api/v1/orgs/${org}/records/client${qs({ sort: 'name', limit: 200 })}`, { signal }), [org])
  const [client, setClient] = useState('')
  const [defaultRate, setDefaultRate] = useState('')
  const [people, setPeople] = useState<PersonRate[]>([])
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const [ready, setReady] = useState(false)
  const clientList = clients.data?.items ?? []
  const currency = clientList.find((c) => c.id === client)?.currency?.toUpperCase() || null
  const digits = currencyDigits(currency)
  // The form once both the billing and the clients (their currencies) are known.
  useEffect(() => {
    const b = billing.data
    if (!b || (!clients.data && !clients.error) || ready) return
    const cur = (clients.data?.items ?? []).find((c) => c.id === b.client)?.currency?.toUpperCase()
    const d = currencyDigits(cur)
    setClient(b.client ?? '')
    const rates = b.rates ?? []
    const def = rates.find((r) => !r.user_id)
    setDefaultRate(def ? moneyInput(def.rate, d) : '')
    setPeople(rates.filter((r) => r.user_id).map((r) => ({ key: ++seq, user: r.user_id!, rate: moneyInput(r.rate, d) })))
    setReady(true)
  }, [billing.data, clients.data, clients.error])

  if (billing.error instanceof ApiError && billing.error.status === 403) return null
  if (billing.error) return <ErrorBox error={billing.error} retry={billing.reload} />
  if (!ready) return <Spinner />

  const unit = currency ?? 'the client’s currency'
  async function save (e: Event) {
    e.preventDefault()
    setError(null)
    const found: Record<string, string> = {}
    const rates: { user_id?: string, rate: number }[] = []
    // Each input's place in the rates sent, to put the server's `rates[i]` errors back beside it.
    const places: string[] = []
    const def = parseMoney(defaultRate, digits)
    if (!def.ok) found.default = def.error
    else if (def.value !== null) { rates.push({ rate: def.value }); places.push('default') }
    for (const p of people) {
      if (!p.user) { found[`user-${p.key}`] = 'Choose a person'; continue }
      const r = parseMoney(p.rate, digits)
      if (!r.ok) found[`rate-${p.key}`] = r.error
      else if (r.value === null) found[`rate-${p.key}`] = 'Enter the hourly rate, or remove the line'
      else { rates.push({ user_id: p.user, rate: r.value }); places.push(String(p.key)) }
    }
    setErrors(found)
    if (Object.keys(found).length) return
    setPending(true)
    try {
      const saved = await api.put<Billing>(`/api/v1/projects/${project}/billing`, { client: client || null, rates })
      billing.setData(() => saved)
      toast('Billing saved', 'success', 2500)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        const placed: Record<string, string> = {}
        const rest: string[] = []
        for (const [k, v] of Object.entries(err.fields)) {
          const m = /^rates\[(\d+)\]\.(rate|user_id)$/.exec(k)
          const at = m ? places[Number(m[1])] : undefined
          if (k === 'client') placed.client = v
          else if (at === 'default') placed.default = v
          else if (at) placed[`${m![2] === 'rate' ? 'rate' : 'user'}-${at}`] = v
          else rest.push(`${k} ${v}`)
        }
        setErrors(placed)
        setError(rest.length ? new ApiError(err.status, err.code, rest.join('; ')) : null)
      } else setError(err)
    } finally { setPending(false) }
  }
  const chosen = new Set(people.map((p) => p.user))
  const field = (id: string, key: string, label: string, input: (describedBy?: string) => any, hint?: string) => (
    <div class={'field' + (errors[key] ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      {input(errors[key] ? `${id}-err` : hint ? `${id}-hint` : undefined)}
      {hint && !errors[key] && <small id={`${id}-hint`} class='hint'>{hint}</small>}
      {errors[key] && <small id={`${id}-err`} class='field-error' role='alert'>{errors[key]}</small>}
    </div>
  )
  return (
    <section class='settings-group billing' aria-labelledby='billing-head' data-testid='billing'>
      <h2 id='billing-head'>Billing</h2>
      <p class='muted'>The client this project’s time is billed to, and its hourly rates in the client’s currency. Approved, billable timesheet time is invoiced at these rates (“Invoice from time” on the invoices page).</p>
      <form class='stack narrow-form' onSubmit={save} noValidate>
        {field('billing-client', 'client', 'Client', (d) => (
          <select id='billing-client' value={client} aria-describedby={d} aria-invalid={errors.client ? 'true' : undefined} onChange={(e) => setClient(e.currentTarget.value)}>
            <option value=''>Not billed to a client</option>
            {clientList.map((c) => <option key={c.id} value={c.id}>{c.name}{c.currency ? ` (${c.currency})` : ''}</option>)}
          </select>
        ), clients.error ? 'The organisation’s clients could not be listed.' : undefined)}
        {field('billing-default', 'default', `Default hourly rate (${unit})`, (d) => (
          <input id='billing-default' inputMode='decimal' autoComplete='off' placeholder='e.g. 100.00' value={defaultRate} aria-describedby={d} aria-invalid={errors.default ? 'true' : undefined} onInput={(e) => setDefaultRate(e.currentTarget.value)} />
        ), 'For everyone without a rate of their own. Empty: only the people below are billed.')}
        <fieldset class='stack billing-people'>
          <legend>Rates per person</legend>
          {!people.length && <p class='muted small'>Nobody has a rate of their own.</p>}
          {people.map((p) => {
            const name = members.value.find((m) => m.user.id === p.user)?.user.name
            return (
              <div key={p.key} class='row wrap billing-person' data-testid='person-rate'>
                {field(`rate-user-${p.key}`, `user-${p.key}`, 'Person', (d) => (
                  <select id={`rate-user-${p.key}`} value={p.user} aria-describedby={d} onChange={(e) => { const v = e.currentTarget.value; setPeople((ps) => ps.map((x) => x.key === p.key ? { ...x, user: v } : x)) }}>
                    <option value=''>Choose someone…</option>
                    {members.value.filter((m) => m.user.id === p.user || !chosen.has(m.user.id)).map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
                  </select>
                ))}
                {field(`rate-${p.key}`, `rate-${p.key}`, name ? `Hourly rate of ${name} (${unit})` : `Hourly rate (${unit})`, (d) => (
                  <input id={`rate-${p.key}`} inputMode='decimal' autoComplete='off' value={p.rate} aria-describedby={d} aria-invalid={errors[`rate-${p.key}`] ? 'true' : undefined} onInput={(e) => { const v = e.currentTarget.value; setPeople((ps) => ps.map((x) => x.key === p.key ? { ...x, rate: v } : x)) }} />
                ))}
                <button type='button' class='btn btn-small' onClick={() => setPeople((ps) => ps.filter((x) => x.key !== p.key))}>Remove<span class='sr-only'> the rate{name ? ` of ${name}` : ''}</span></button>
              </div>
            )
          })}
          <div><button type='button' class='btn btn-small' onClick={() => setPeople((ps) => [...ps, { key: ++seq, user: '', rate: '' }])}>Set a person’s own rate</button></div>
        </fieldset>
        <ErrorBox error={error} />
        <div><button class='btn btn-primary' disabled={pending}>Save billing</button></div>
      </form>
    </section>
  )
}

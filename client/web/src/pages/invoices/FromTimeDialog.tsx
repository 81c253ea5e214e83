// "Invoice from time": a draft invoice for a client from the approved, billable, not yet
// invoiced timesheet time of its projects in a period (`POST /orgs/{org}/invoices/from-time`),
// one line per task or per person, priced at the projects' hourly rates. The draft opens in the
// invoice editor. The server's refusals show where they belong: a bad client, project or date
// beside its field, no time to invoice in the period and missing rates above the buttons.
import { useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { navigate } from '../../lib/router'
import { projects, toast } from '../../lib/session'
import type { components } from '../../lib/api-types'
import { ErrorBox, Modal } from '../../ui/common'
import type { Invoice } from './api'
import { ClientPicker } from './bits'
import { today } from './aging'

type FromTime = components['schemas']['InvoiceFromTime']

/** The first day of the month before the one `date` falls in. */
export function lastMonthStart (date: string): string {
  const [y, m] = date.split('-').map(Number)
  return m === 1 ? `${y - 1}-12-01` : `${y}-${String(m - 1).padStart(2, '0')}-01`
}

export function FromTimeDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [client, setClient] = useState('')
  const [project, setProject] = useState('')
  const [from, setFrom] = useState(() => lastMonthStart(today()))
  const [to, setTo] = useState(() => today())
  const [group, setGroup] = useState<'task' | 'person'>('task')
  const [fields, setFields] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  async function submit (e: Event) {
    e.preventDefault()
    setError(null)
    if (!client) {
      setFields({ client: 'Choose the client to invoice' })
      document.getElementById('ft-client')?.focus()
      return
    }
    setFields({})
    setPending(true)
    try {
      const body: FromTime = { client, from, to, group, ...(project ? { project } : {}) }
      const invoice = await api.post<Invoice>(`/api/v1/orgs/${org}/invoices/from-time`, body)
      toast(`Draft ${invoice.name} made from ${invoice.lines?.length ?? 0} line${invoice.lines?.length === 1 ? '' : 's'} of time`, 'success')
      onClose()
      navigate(`/o/${org}/invoices/${invoice.id}`)
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        const { rates, ...rest } = err.fields
        setFields(rest)
        if (rates) setError(new ApiError(err.status, err.code, `Some time has no hourly rate: ${rates}. Set the rates in the project’s “Members and billing” page, then try again.`))
        const first = ['client', 'project', 'from', 'to'].find((k) => rest[k])
        if (first) document.getElementById(`ft-${first}`)?.focus()
      } else setError(err)
    } finally { setPending(false) }
  }
  const invalid = (k: string) => fields[k] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `ft-${k}-err` } : {}
  const err = (k: string) => fields[k] && <small id={`ft-${k}-err`} class='field-error' role='alert'>{fields[k]}</small>
  return (
    <Modal title='Invoice from time' onClose={onClose}>
      <form class='stack' onSubmit={submit} noValidate data-testid='from-time'>
        <p class='muted'>A draft invoice from the approved, billable time of the client’s projects that no invoice holds yet, at the projects’ hourly rates.</p>
        <ClientPicker id='ft-client' org={org} value={client} label='Client' error={fields.client} onChange={(c) => { setClient(c?.id ?? ''); setFields((f) => ({ ...f, client: '' })) }} />
        <div class={'field' + (fields.project ? ' field-invalid' : '')}>
          <label for='ft-project'>Project</label>
          <select id='ft-project' value={project} onChange={(e) => setProject(e.currentTarget.value)} {...invalid('project')}>
            <option value=''>All of the client’s projects</option>
            {projects.value.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
          {err('project')}
        </div>
        <div class='row wrap'>
          <div class={'field' + (fields.from ? ' field-invalid' : '')}>
            <label for='ft-from'>From</label>
            <input id='ft-from' type='date' required value={from} onInput={(e) => setFrom(e.currentTarget.value)} {...invalid('from')} />
            {err('from')}
          </div>
          <div class={'field' + (fields.to ? ' field-invalid' : '')}>
            <label for='ft-to'>To</label>
            <input id='ft-to' type='date' required value={to} onInput={(e) => setTo(e.currentTarget.value)} {...invalid('to')} />
            {err('to')}
          </div>
        </div>
        <fieldset class='stack'>
          <legend>Lines</legend>
          <label class='check'><input type='radio' name='ft-group' value='task' checked={group === 'task'} onChange={() => setGroup('task')} /> One per task</label>
          <label class='check'><input type='radio' name='ft-group' value='person' checked={group === 'person'} onChange={() => setGroup('person')} /> One per person</label>
        </fieldset>
        <ErrorBox error={error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={pending}>{pending ? 'Making the draft…' : 'Make the draft invoice'}</button>
        </div>
      </form>
    </Modal>
  )
}

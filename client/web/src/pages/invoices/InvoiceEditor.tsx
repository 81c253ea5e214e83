// One invoice: the editor of a draft (client, dates, currency, tax scheme, lines) with its totals
// computed as you type by the server's own rule, and once saved the server's figures; a sent
// invoice is read-only (the page says why) with its PDF, "Send", "Record payment", "Void" while
// nothing is paid and "Amend" once void. Beside it: its payments and history. The invoice stays
// live: a change made elsewhere (a payment, a step, someone's edit) shows at once unless there
// are unsaved edits here, which are kept, with a notice.
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { navigate } from '../../lib/router'
import { toast, toastError } from '../../lib/session'
import type { RecordType } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle, confirmDialog } from '../../ui/common'
import { typesApi } from '../records/api'
import { useRecordsLive } from '../records/useRecordsLive'
import { addDays, OPEN_STATES, today } from './aging'
import { clientsApi, invoicesApi, type Client, type Invoice, type InvoiceSettings } from './api'
import { ClientPicker, StatusChip } from './bits'
import { formOf, isMissing, liveFigures, newForm, sameFigures, toWire, type InvoiceForm, type Row } from './form'
import { InvoiceHistory, PaymentsList } from './InvoiceAside'
import { inputId, LinesTable } from './LinesTable'
import { PaymentDialog } from './PaymentDialog'
import { PdfPanel } from './PdfPanel'
import { SendDialog } from './SendDialog'
import { liveShown, serverFigures, TotalsTable } from './TotalsTable'

/** `/o/{org}/invoices/{id}`. */
export function InvoicePage ({ org, id }: { org: string, id: string }) {
  const type = useAsync((signal) => typesApi.get(org, 'invoice', signal), [org])
  const rec = useAsync((signal) => invoicesApi.get(id, signal), [id])
  const inv = rec.data
  const [removed, setRemoved] = useState(false)
  useTitle(inv ? `${inv.name} · Invoices` : 'Invoice')
  useRecordsLive('invoice', {
    onRecord: (next) => { if (next.id === id) rec.setData((cur) => !cur || next.version > cur.version ? next as Invoice : cur) },
    onRemoved: (gone) => { if (gone === id) setRemoved(true) },
    onResync: () => rec.reload()
  })
  if (rec.error || type.error) return <section class='page'><ErrorBox error={rec.error ?? type.error} retry={() => { rec.reload(); type.reload() }} /></section>
  if (!inv || !type.data) return <section class='page'><Spinner /></section>
  if (inv.type !== 'invoice') return <section class='page'><Empty title='This record is not an invoice'><a href={`/o/${org}/records/${inv.type}/${inv.id}`}>Open it as a record</a></Empty></section>
  if (removed) return <section class='page'><Empty title='This invoice was deleted'><a href={`/o/${org}/invoices`}>Back to the invoices</a></Empty></section>
  return <Editor key={inv.id} org={org} type={type.data} invoice={inv} onChanged={(next) => rec.setData(() => next)} />
}

/** `/o/{org}/invoices/new`: an empty draft, its seller state and scheme from the settings. */
export function NewInvoice ({ org }: { org: string }) {
  const type = useAsync((signal) => typesApi.get(org, 'invoice', signal), [org])
  const settings = useAsync((signal) => invoicesApi.settings(org, signal).catch(() => null), [org])
  useTitle('New invoice')
  if (type.error) return <section class='page'><ErrorBox error={type.error} retry={type.reload} /></section>
  if (!type.data || settings.loading) return <section class='page'><Spinner /></section>
  if (!type.data.can.create) return <section class='page'><Empty title='You may not create invoices'><a href={`/o/${org}/invoices`}>Back to the invoices</a></Empty></section>
  return <Editor org={org} type={type.data} invoice={null} settings={settings.data ?? null} onChanged={(inv) => navigate(`/o/${org}/invoices/${inv.id}`, { replace: true })} />
}

/** Why a saved invoice cannot be edited here, or null when it can. */
function readOnlyWhy (inv: Invoice): string | null {
  const paid = (inv.amount_paid ?? 0) > 0
  switch (inv.state) {
    case 'draft': return inv.can.write ? null : 'You may read this invoice but not change it.'
    case 'void': return `${inv.name} is void: it stays as it was issued. Amend it to make a corrected draft.`
    case 'paid': return `${inv.name} was sent and is paid in full: it can no longer be changed.`
    default: return `${inv.name} was sent to the client, so it is read-only: what they received stays the record. ` +
      (paid ? 'A payment has been recorded against it, so it can no longer be voided.' : 'To correct it, void it and amend the voided invoice into a new draft.')
  }
}

type Field = Exclude<keyof InvoiceForm, 'lines'>

function Editor ({ org, type, invoice, settings, onChanged }: { org: string, type: RecordType, invoice: Invoice | null, settings?: InvoiceSettings | null, onChanged: (inv: Invoice) => void }) {
  const creating = !invoice
  const [form, setForm] = useState<InvoiceForm>(() => {
    if (invoice) return formOf(invoice)
    const f = newForm(today())
    if (settings?.state_code) return { ...f, tax_scheme: 'gst', seller_state: settings.state_code }
    return f
  })
  // The invoice the form was loaded from: a change is sent against its version.
  const [base, setBase] = useState<Invoice | null>(invoice)
  const [dirty, setDirty] = useState(false)
  const [touched, setTouched] = useState<Set<Field>>(new Set())
  const [attempted, setAttempted] = useState(false)
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const [stale, setStale] = useState<Invoice | null>(null)
  const [client, setClient] = useState<Client | null>(null)
  const [dialog, setDialog] = useState<null | 'send' | 'pay'>(null)
  const [busy, setBusy] = useState(false)

  // The invoice changed (saved here, sent, paid, or changed elsewhere): shown at once unless
  // there are unsaved edits, which are kept with a notice.
  useEffect(() => {
    if (!invoice || (base && invoice.version === base.version)) return
    if (dirty && invoice.state === 'draft') { setStale(invoice); return }
    load(invoice)
  }, [invoice?.version])
  // The chosen client (for its e-mail, currency, terms and state code).
  useEffect(() => {
    if (!form.client) { setClient(null); return }
    if (client?.id === form.client) return
    const ctrl = new AbortController()
    clientsApi.get(form.client, ctrl.signal).then(setClient, () => setClient(null))
    return () => ctrl.abort()
  }, [form.client])

  function load (inv: Invoice) {
    setForm(formOf(inv))
    setBase(inv)
    setDirty(false)
    setServerErrors({})
    setError(null)
    setStale(null)
    setAttempted(false)
  }
  const why = base ? readOnlyWhy(base) : null
  const disabled = !!why || pending
  const { figures, lineErrors } = liveFigures(form)
  const local = toWire(form, creating).errors
  const errorOf = (path: string): string | undefined => {
    const e = serverErrors[path] ?? local[path] ?? lineErrors[path]
    if (!e || why) return undefined
    return serverErrors[path] || attempted || !isMissing(e) ? e : undefined
  }
  const edit = () => { setDirty(true); setError(null) }
  function set (name: Field, value: string, byHand = true) {
    edit()
    if (byHand) setTouched((t) => new Set(t).add(name))
    setServerErrors((e) => { const n = { ...e }; delete n[name]; return n })
    setForm((f) => {
      const next = { ...f, [name]: value }
      // A due date nobody chose follows the issue date by the client's payment terms.
      if (name === 'issue_date' && !touched.has('due_date') && typeof client?.payment_terms_days === 'number') {
        next.due_date = addDays(value, client.payment_terms_days) ?? f.due_date
      }
      return next
    })
  }
  function chooseClient (c: Client | null) {
    edit()
    setClient(c)
    setServerErrors((e) => { const n = { ...e }; delete n.client; return n })
    setForm((f) => {
      const next = { ...f, client: c?.id ?? '' }
      if (!c) return next
      // What a new invoice takes from its client, unless typed here.
      if (!touched.has('currency') && c.currency) next.currency = c.currency.toUpperCase()
      if (!touched.has('client_state') && c.state_code) next.client_state = c.state_code
      if (!touched.has('due_date') && typeof c.payment_terms_days === 'number') next.due_date = addDays(next.issue_date, c.payment_terms_days) ?? next.due_date
      return next
    })
  }
  function setRows (rows: Row[]) {
    edit()
    setServerErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('lines'))))
    setForm((f) => ({ ...f, lines: rows }))
  }
  function setCell (i: number, key: keyof Omit<Row, '_key' | 'id'>, value: string) {
    edit()
    setServerErrors((e) => { const n = { ...e }; delete n[`lines[${i}].${key}`]; delete n.lines; return n })
    setForm((f) => ({ ...f, lines: f.lines.map((r, j) => j === i ? { ...r, [key]: value } : r) }))
  }

  async function save (e: Event) {
    e.preventDefault()
    setAttempted(true)
    const { data, errors } = toWire(form, creating)
    if (Object.keys(errors).length) {
      focusFirst(errors)
      return
    }
    setPending(true)
    setError(null)
    try {
      const saved = base ? await invoicesApi.update(base.id, base.version, data) : await invoicesApi.create(org, data)
      toast(base ? 'Saved' : `Draft ${saved.name} created`, 'success', 2500)
      load(saved)
      onChanged(saved)
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.details.current) setStale(err.details.current as Invoice)
      else if (err instanceof ApiError && Object.keys(err.fields).length) {
        setServerErrors(err.fields)
        const known = (k: string) => k in form || k.startsWith('lines')
        const rest = Object.entries(err.fields).filter(([k]) => !known(k))
        setError(rest.length ? new ApiError(err.status, err.code, rest.map(([k, v]) => `${k} ${v}`).join('; ')) : null)
        focusFirst(err.fields)
      } else setError(err)
    } finally { setPending(false) }
  }
  function loadTheirs () {
    if (!stale) return
    const next = stale
    load(next)
    onChanged(next)
  }
  async function step (action: 'void') {
    if (!base) return
    if (!await confirmDialog({ title: `Void ${base.name}?`, message: 'It stays in the records as void; you can then amend it into a corrected draft.', action: 'Void', danger: true })) return
    setBusy(true)
    try {
      const next = await invoicesApi.transition(base.id, action)
      load(next)
      onChanged(next)
      toast(`${next.name} is void`, 'success')
    } catch (err) { toastError(err) } finally { setBusy(false) }
  }
  async function amend () {
    if (!base) return
    setBusy(true)
    try {
      const draft = await invoicesApi.amend(base.id)
      toast(`Draft ${draft.name} made from ${base.name}`, 'success')
      navigate(`/o/${org}/invoices/${draft.id}`)
    } catch (err) { toastError(err) } finally { setBusy(false) }
  }
  async function remove () {
    if (!base || !await confirmDialog({ title: `Delete the draft ${base.name}?`, message: 'This cannot be undone.', action: 'Delete', danger: true })) return
    try {
      await invoicesApi.remove(base.id)
      toast(`${base.name} deleted`, 'success')
      navigate(`/o/${org}/invoices`)
    } catch (err) { toastError(err) }
  }

  const currency = form.currency.trim().toUpperCase() || 'EUR'
  const saved = base ? serverFigures(base) : null
  const showSaved = !!base && !dirty && !!saved
  const shown = showSaved ? saved! : liveShown(figures)
  const amounts = showSaved ? (base!.lines ?? []).map((l) => typeof l.amount === 'number' ? BigInt(l.amount) : null) : figures.lines.map((l) => l.taxable)
  const mismatch = showSaved && !sameFigures(base!)
  const state = base?.state ?? 'draft'
  const open = OPEN_STATES.includes(state)
  const paid = base?.amount_paid ?? 0
  const field = (name: Field, label: string, input: (id: string, describedBy?: string) => any, cls = '') => {
    const id = inputId(name)
    const err = errorOf(name)
    return (
      <div class={'field ' + cls + (err ? ' field-invalid' : '')}>
        <label for={id}>{label}</label>
        {input(id, err ? `${id}-err` : undefined)}
        {err && <small id={`${id}-err`} class='field-error' role='alert'>{err}</small>}
      </div>
    )
  }
  const text = (name: Field, extra: Record<string, unknown> = {}) => (id: string, describedBy?: string) => (
    <input id={id} value={form[name]} disabled={disabled} autoComplete='off' aria-invalid={describedBy ? 'true' : undefined} aria-describedby={describedBy} onInput={(e) => set(name, e.currentTarget.value)} {...extra} />
  )

  return (
    <section class='page invoice-page'>
      <div class='invoice-main'>
        <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/invoices`}>Invoices</a> › {base ? base.name : 'New invoice'}</nav>
        <div class='page-head'>
          <h1 class='row'><span data-testid='invoice-name'>{base ? base.name : 'New invoice'}</span> <StatusChip state={state} testId='invoice-status' /></h1>
          {base && (
            <div class='invoice-actions' role='group' aria-label='Invoice actions'>
              {base.can.transition && state !== 'void' && <button type='button' class={'btn' + (state === 'draft' ? ' btn-primary' : '')} disabled={dirty || busy} title={dirty ? 'Save your changes first' : undefined} onClick={() => setDialog('send')}>{state === 'draft' ? 'Send…' : 'Send again…'}</button>}
              {base.can.write && open && <button type='button' class='btn btn-primary' disabled={busy} onClick={() => setDialog('pay')}>Record payment…</button>}
              {base.can.transition && open && <button type='button' class='btn btn-danger' disabled={busy || paid > 0} aria-describedby={paid > 0 ? 'why-no-void' : undefined} onClick={() => step('void')}>Void</button>}
              {base.can.write && state === 'void' && <button type='button' class='btn btn-primary' disabled={busy} onClick={amend}>Amend</button>}
              {base.can.delete && state === 'draft' && <button type='button' class='btn btn-danger' onClick={remove}>Delete draft</button>}
              {base.amended_from && <a class='btn' href={`/o/${org}/invoices/${base.amended_from}`}>Amended from…</a>}
            </div>
          )}
        </div>
        {dirty && base && state === 'draft' && <p class='muted small'>Save your changes before sending: the client gets the invoice as saved.</p>}
        {open && paid > 0 && <p id='why-no-void' class='muted small'>Void is not available: payments have been recorded against this invoice.</p>}
        <form class='invoice-form' onSubmit={save} noValidate aria-label={base ? `Edit ${base.name}` : 'New invoice'}>
          {why && <p class='banner banner-info why-readonly' role='status' data-testid='read-only-why'>{why}</p>}
          {stale && (
            <div class='error-box' role='alert' data-testid='stale'>
              <span>{stale.name} was changed elsewhere (now version {stale.version}); your changes are not saved.</span>
              <button type='button' class='btn btn-small' onClick={loadTheirs}>Load the current version</button>
            </div>
          )}
          <div class='invoice-fields'>
            <div class='span-2'>
              <ClientPicker id={inputId('client')} org={org} value={form.client} label='Client' error={errorOf('client')} disabled={disabled} onChange={chooseClient} />
            </div>
            {field('currency', 'Currency', text('currency', { maxLength: 3, placeholder: 'EUR', style: { textTransform: 'uppercase' } }))}
            {field('issue_date', 'Issue date', text('issue_date', { type: 'date' }))}
            {field('due_date', 'Due date', text('due_date', { type: 'date' }))}
            {field('reference', 'Reference (PO number)', text('reference', { maxLength: 100 }))}
            {field('tax_scheme', 'Tax', (id, describedBy) => (
              <select id={id} value={form.tax_scheme} disabled={disabled} aria-describedby={describedBy} onChange={(e) => set('tax_scheme', e.currentTarget.value)}>
                <option value='standard'>Standard (one tax per line)</option>
                <option value='gst'>GST (India)</option>
              </select>
            ))}
            {form.tax_scheme === 'gst' && field('seller_state', 'Seller’s GST state code', text('seller_state', { maxLength: 2, inputMode: 'numeric', placeholder: '27' }))}
            {form.tax_scheme === 'gst' && field('client_state', 'Client’s GST state code', text('client_state', { maxLength: 2, inputMode: 'numeric', placeholder: '29' }))}
          </div>
          {form.tax_scheme === 'gst' && /^\d{2}$/.test(form.seller_state) && /^\d{2}$/.test(form.client_state) && (
            <p class='muted small' data-testid='gst-split'>{form.seller_state === form.client_state ? 'Within one state: CGST and SGST at half the rate each.' : 'Across states: IGST at the full rate.'}</p>
          )}
          <LinesTable rows={form.lines} currency={currency} amounts={amounts} errorOf={errorOf} disabled={disabled} onChange={setRows} onCell={setCell} />
          <TotalsTable
            figures={shown}
            currency={currency}
            source={showSaved ? 'saved' : 'live'}
            caption={showSaved ? 'As saved' : 'Computed as you type (the server computes the same when you save)'}
            paid={base && !dirty ? base.amount_paid : undefined}
            due={base && !dirty && state !== 'draft' ? base.amount_due : undefined}
          />
          {mismatch && <p class='error-box' role='alert' data-testid='figures-mismatch'>The saved figures differ from the ones computed on this page; the saved ones are the invoice’s. Please report this.</p>}
          {field('notes', 'Notes (printed on the invoice)', (id, describedBy) => (
            <textarea id={id} rows={3} maxLength={4000} value={form.notes} disabled={disabled} aria-describedby={describedBy} onInput={(e) => set('notes', e.currentTarget.value)} />
          ))}
          <ErrorBox error={error} />
          {!why && (
            <div class='row-end'>
              {dirty && base && <button type='button' class='btn' disabled={pending} onClick={() => load(base)}>Discard changes</button>}
              <button class='btn btn-primary' disabled={pending || (!!base && !dirty)}>{base ? 'Save draft' : 'Create draft'}</button>
            </div>
          )}
        </form>
        {base && <PdfPanel invoice={base} dirty={dirty} />}
      </div>
      {base && (
        <aside class='invoice-aside' aria-label='Payments and history'>
          <PaymentsList org={org} invoice={base} />
          <InvoiceHistory invoice={base} fields={type.fields} />
        </aside>
      )}
      {dialog === 'send' && base && (
        <SendDialog org={org} invoice={base} client={client} onClose={() => setDialog(null)} onSent={(r) => {
          setDialog(null)
          load(r.invoice)
          onChanged(r.invoice)
          toast(`${r.invoice.name} is on its way to ${r.to}${r.cc.length ? ` (copy to ${r.cc.join(', ')})` : ''}`, 'success')
        }} />
      )}
      {dialog === 'pay' && base && (
        <PaymentDialog invoice={base} onClose={() => setDialog(null)} onPaid={(r) => {
          setDialog(null)
          load(r.invoice)
          onChanged(r.invoice)
          toast(`${r.payment.name} recorded`, 'success')
        }} />
      )}
    </section>
  )
}

function focusFirst (errors: Record<string, string>): void {
  const first = Object.keys(errors)[0]
  if (!first) return
  setTimeout(() => document.getElementById(inputId(first))?.focus(), 0)
}

// "Record payment": money received against a sent invoice. The amount starts at what is due (in
// major units of the invoice's currency, read back exactly); partial payments add up; the server
// refuses more than is due, and its field errors show beside their fields.
import { useState } from 'preact/hooks'
import { ErrorBox, Modal, useSubmit } from '../../ui/common'
import { today } from './aging'
import { invoicesApi, METHODS, type Invoice, type Payment } from './api'
import { currencyDigits, formatMinor, minorText, parseMinor } from './totals'

export function PaymentDialog ({ invoice, onClose, onPaid }: { invoice: Invoice, onClose: () => void, onPaid: (r: { payment: Payment, invoice: Invoice }) => void }) {
  const currency = String(invoice.currency ?? '')
  const digits = currencyDigits(currency)
  const due = invoice.amount_due ?? 0
  const [amount, setAmount] = useState(minorText(due, digits))
  const [date, setDate] = useState(today())
  const [method, setMethod] = useState('bank_transfer')
  const [reference, setReference] = useState('')
  const [local, setLocal] = useState<Record<string, string>>({})
  const s = useSubmit()
  const fields = { ...s.fields, ...local }
  async function submit (e: Event) {
    e.preventDefault()
    const errors: Record<string, string> = {}
    const parsed = parseMinor(amount, digits)
    if (!parsed.ok) errors.amount = parsed.error
    else if (parsed.value === null) errors.amount = 'is required'
    else if (parsed.value <= 0n) errors.amount = 'must be more than zero'
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) errors.date = 'must be a date'
    setLocal(errors)
    if (Object.keys(errors).length || !parsed.ok || parsed.value === null) {
      document.getElementById(`pay-${Object.keys(errors)[0]}`)?.focus()
      return
    }
    const minor = parsed.value
    const r = await s.run(() => invoicesApi.pay(invoice.id, { amount: Number(minor), date, method, reference: reference.trim() || undefined }))
    if (r) onPaid(r)
  }
  const err = (k: string) => fields[k]
  const placed = ['amount', 'date', 'method', 'reference']
  const unplaced = Object.keys(s.fields).length && Object.keys(s.fields).every((k) => placed.includes(k)) ? null : s.error
  const field = (k: string, label: string, input: any, hint?: string) => (
    <div class={'field' + (err(k) ? ' field-invalid' : '')}>
      <label for={`pay-${k}`}>{label}</label>
      {input}
      {err(k) ? <small id={`pay-${k}-err`} class='field-error' role='alert'>{err(k)}</small> : hint && <small id={`pay-${k}-hint`} class='hint'>{hint}</small>}
    </div>
  )
  const described = (k: string, hint?: boolean) => ({ 'aria-invalid': err(k) ? 'true' as const : undefined, 'aria-describedby': err(k) ? `pay-${k}-err` : hint ? `pay-${k}-hint` : undefined })
  return (
    <Modal title={`Record a payment for ${invoice.name}`} onClose={onClose}>
      <form class='stack' onSubmit={submit} noValidate>
        {field('amount', `Amount (${currency})`,
          <input id='pay-amount' inputMode='decimal' autoComplete='off' value={amount} {...described('amount', true)} onInput={(e) => setAmount(e.currentTarget.value)} />,
          `Amount due: ${formatMinor(due, currency)} of ${formatMinor(invoice.total ?? 0, currency)}.`)}
        {field('date', 'Date received', <input id='pay-date' type='date' value={date} {...described('date')} onInput={(e) => setDate(e.currentTarget.value)} />)}
        {field('method', 'Method',
          <select id='pay-method' value={method} {...described('method')} onChange={(e) => setMethod(e.currentTarget.value)}>
            {METHODS.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
          </select>)}
        {field('reference', 'Reference', <input id='pay-reference' value={reference} maxLength={200} autoComplete='off' {...described('reference', true)} onInput={(e) => setReference(e.currentTarget.value)} />, 'Optional: the bank’s transaction id, a cheque number…')}
        <ErrorBox error={unplaced} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={s.pending}>Record payment</button>
        </div>
      </form>
    </Modal>
  )
}

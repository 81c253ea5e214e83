// "Send": e-mail the invoice with its PDF attached. To is the client's e-mail unless changed;
// copies and a message are optional. A draft is issued by sending it, so the dialog says which
// number it will get (the next of the org's series this year) and that it is read-only after.
// The server's field errors (`to`, `cc[1]`, `message`) show beside their fields.
import { useState } from 'preact/hooks'
import { Modal, ErrorBox, useAsync, useSubmit } from '../../ui/common'
import { typesApi } from '../records/api'
import { invoicesApi, type Client, type Invoice } from './api'
import { splitAddresses } from './form'

/** The name a draft gets when sent: its own if it already has one (an amendment keeps the
 * number it corrects), else the series' next number (as far as the caller can see). */
async function expectedName (org: string, inv: Invoice, signal: AbortSignal): Promise<string | null> {
  if (!/^Draft-/.test(inv.name)) return inv.name
  const type = await typesApi.get(org, 'invoice', signal)
  const naming = type.naming
  if (!naming) return null
  const now = new Date()
  const period = naming.year ? (naming.month ? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-` : `${now.getUTCFullYear()}-`) : ''
  const stem = naming.prefix + period
  const page = await invoicesApi.list(org, { 'name.contains': stem, sort: '-name', limit: '50' }, signal)
  const digits = naming.digits ?? 5
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)$`)
  let last = 0
  for (const r of page.items) {
    const m = pattern.exec(r.name)
    if (m) last = Math.max(last, Number(m[1]))
  }
  return stem + String(last + 1).padStart(digits, '0')
}

export function SendDialog ({ org, invoice, client, onClose, onSent }: { org: string, invoice: Invoice, client: Client | null, onClose: () => void, onSent: (r: { invoice: Invoice, to: string, cc: string[] }) => void }) {
  const [to, setTo] = useState(client?.email ?? '')
  const [cc, setCc] = useState('')
  const [message, setMessage] = useState('')
  const s = useSubmit()
  const draft = invoice.state === 'draft'
  const name = useAsync((signal) => draft ? expectedName(org, invoice, signal) : Promise.resolve(invoice.name), [invoice.id, invoice.name])
  async function submit (e: Event) {
    e.preventDefault()
    const r = await s.run(() => invoicesApi.send(invoice.id, { to: to.trim() || undefined, cc: splitAddresses(cc), message: message.trim() || undefined }))
    if (r) onSent(r)
  }
  const ccError = s.fields.cc ?? Object.entries(s.fields).filter(([k]) => k.startsWith('cc[')).map(([k, v]) => `${splitAddresses(cc)[Number(k.slice(3, -1))] ?? k} ${v}`).join('; ')
  const placed = (k: string) => k === 'to' || k === 'message' || k === 'cc' || k.startsWith('cc[')
  const unplaced = Object.keys(s.fields).length && Object.keys(s.fields).every(placed) ? null : s.error
  return (
    <Modal title={draft ? `Send ${invoice.name}` : `Send ${invoice.name} again`} onClose={onClose}>
      <form class='stack' onSubmit={submit} noValidate>
        {draft
          ? (
            <p class='banner banner-info' data-testid='send-number'>
              Sending issues this draft as <strong>{name.data ?? '…'}</strong>{name.data && /^Draft-/.test(invoice.name) ? ' (the next number of the series)' : ''}.
              From then on it is read-only.
            </p>
            )
          : <p class='muted' data-testid='send-number'>The client gets <strong>{invoice.name}</strong> again, with its PDF.</p>}
        <div class={'field' + (s.fields.to ? ' field-invalid' : '')}>
          <label for='send-to'>To</label>
          <input id='send-to' type='email' value={to} autoComplete='off' aria-invalid={s.fields.to ? 'true' : undefined} aria-describedby={s.fields.to ? 'send-to-err' : 'send-to-hint'} onInput={(e) => setTo(e.currentTarget.value)} />
          {s.fields.to ? <small id='send-to-err' class='field-error' role='alert'>{s.fields.to}</small> : <small id='send-to-hint' class='hint'>{client?.email ? `The client’s e-mail for invoices is ${client.email}.` : 'The client has no e-mail address on file.'}</small>}
        </div>
        <div class={'field' + (ccError ? ' field-invalid' : '')}>
          <label for='send-cc'>Cc</label>
          <input id='send-cc' type='text' value={cc} autoComplete='off' aria-invalid={ccError ? 'true' : undefined} aria-describedby={ccError ? 'send-cc-err' : 'send-cc-hint'} onInput={(e) => setCc(e.currentTarget.value)} />
          {ccError ? <small id='send-cc-err' class='field-error' role='alert'>{ccError}</small> : <small id='send-cc-hint' class='hint'>Optional; separate several addresses with commas.</small>}
        </div>
        <div class={'field' + (s.fields.message ? ' field-invalid' : '')}>
          <label for='send-message'>Message</label>
          <textarea id='send-message' rows={4} value={message} aria-invalid={s.fields.message ? 'true' : undefined} aria-describedby={s.fields.message ? 'send-message-err' : 'send-message-hint'} onInput={(e) => setMessage(e.currentTarget.value)} />
          {s.fields.message ? <small id='send-message-err' class='field-error' role='alert'>{s.fields.message}</small> : <small id='send-message-hint' class='hint'>Optional; shown above the invoice’s summary in the e-mail.</small>}
        </div>
        <ErrorBox error={unplaced} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-primary' disabled={s.pending}>{draft ? 'Send and issue' : 'Send'}</button>
        </div>
      </form>
    </Modal>
  )
}

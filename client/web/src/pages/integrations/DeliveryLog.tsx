import { useState } from 'preact/hooks'
import { toast, toastError } from '../../lib/session'
import { formatTime } from '../../lib/text'
import { Empty, ErrorBox, Spinner } from '../../ui/common'
import { useCursorPages } from '../../ui/cursorPages'
import { listDeliveries, redeliver, sendTest, type Webhook, type WebhookDelivery } from './api'

const STATE_LABEL: Record<WebhookDelivery['state'], string> = {
  pending: 'Pending',
  delivered: 'Delivered',
  failed: 'Failed'
}

/** A webhook's delivery log, newest first: state, attempts, status, latency, the last error;
 * redeliver one by hand, send a test event, load older ones. */
export function DeliveryLog ({ hook }: { hook: Webhook }) {
  const { first, items, next, more, loadingMore } = useCursorPages((cursor, signal) => listDeliveries(hook.id, cursor, signal), [hook.id])
  const [open, setOpen] = useState<string | null>(null)

  async function test () {
    try { await sendTest(hook.id); toast('Test event queued', 'success'); first.reload() } catch (e) { toastError(e) }
  }
  async function again (d: WebhookDelivery) {
    try { await redeliver(hook.id, d.id); toast('Queued again', 'success'); first.reload() } catch (e) { toastError(e) }
  }
  return (
    <section class='stack' aria-label='Delivery log'>
      <div class='row'>
        <h3 class='grow'>Deliveries</h3>
        <button type='button' class='btn btn-small' onClick={() => first.reload()}>Refresh</button>
        <button type='button' class='btn btn-small btn-primary' onClick={test}>Send test event</button>
      </div>
      {!first.data
        ? (first.error ? <ErrorBox error={first.error} retry={first.reload} /> : <Spinner />)
        : !items.length
            ? <Empty title='Nothing delivered yet' />
            : (
              <ul class='list' data-testid='deliveries'>
                {items.map((d) => (
                  <li key={d.id} class='list-row' data-testid='delivery' data-state={d.state}>
                    <div class='grow stack'>
                      <div class='row wrap'>
                        <strong>{d.event_type}</strong>
                        <span class='role-chip'>{STATE_LABEL[d.state]}</span>
                        <span class='muted small'>
                          {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
                          {d.response_status != null ? ` · HTTP ${d.response_status}` : ''}
                          {d.latency_ms != null ? ` · ${d.latency_ms} ms` : ''}
                          {' · '}{formatTime(d.created_at)}
                          {d.state === 'pending' && d.attempts > 0 && d.next_attempt_at ? ` · next try ${formatTime(d.next_attempt_at)}` : ''}
                        </span>
                      </div>
                      {d.last_error && <span class='small field-error' data-testid='delivery-error'>{d.last_error}</span>}
                      {open === d.id && <pre class='small'>{JSON.stringify(d.body, null, 2)}</pre>}
                    </div>
                    <button type='button' class='btn btn-small' aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? null : d.id)}>{open === d.id ? 'Hide body' : 'Body'}</button>
                    <button type='button' class='btn btn-small' onClick={() => again(d)} aria-label={`Redeliver ${d.event_type} ${d.id}`}>Redeliver</button>
                  </li>
                ))}
              </ul>
              )}
      {next && <button type='button' class='btn' onClick={more} disabled={loadingMore}>Load older</button>}
    </section>
  )
}

// "Share publicly": create a public read-only link (with an optional expiry), copy it, revoke
// it. Disabled, with the reason, while the organisation has not turned public links on. The
// server keeps only a digest of a link, so its URL can be copied right after creating it only.
import { useState } from 'preact/hooks'
import { api } from '../../../lib/api'
import { toast, toastError } from '../../../lib/session'
import { formatTime } from '../../../lib/text'
import { ErrorBox, Modal, Spinner, confirmDialog, useAsync } from '../../../ui/common'

interface LinkInfo { created_by: string, created_at: number, expires_at?: number | null, expired: boolean }
interface LinkStatus { allowed: boolean, can_manage: boolean, link?: LinkInfo | null }
interface LinkCreated { url: string, created_at: number, expires_at?: number | null }

const DAY_MS = 24 * 60 * 60 * 1000
const EXPIRIES: { value: string, label: string, days: number | null }[] = [
  { value: 'never', label: 'Never (until revoked)', days: null },
  { value: '1', label: 'In 1 day', days: 1 },
  { value: '7', label: 'In 7 days', days: 7 },
  { value: '30', label: 'In 30 days', days: 30 }
]

export function ShareDialog ({ doc, title, onClose }: { doc: string, title: string, onClose: () => void }) {
  const status = useAsync((signal) => api.get<LinkStatus>(`/api/v1/docs/${doc}/public-link`, { signal }), [doc])
  const [expiry, setExpiry] = useState('never')
  const [created, setCreated] = useState<LinkCreated | null>(null)
  const [busy, setBusy] = useState(false)
  const s = status.data
  async function create () {
    const days = EXPIRIES.find((e) => e.value === expiry)?.days ?? null
    setBusy(true)
    try {
      const link = await api.post<LinkCreated>(`/api/v1/docs/${doc}/public-link`, days === null ? {} : { expires: Date.now() + days * DAY_MS })
      setCreated(link)
      status.reload()
    } catch (e) { toastError(e) } finally { setBusy(false) }
  }
  async function revoke () {
    const ok = await confirmDialog({ title: 'Revoke the public link?', message: 'Anyone opening it will find nothing. You can create a new link later.', action: 'Revoke', danger: true })
    if (!ok) return
    setBusy(true)
    try {
      await api.del(`/api/v1/docs/${doc}/public-link`)
      setCreated(null)
      status.reload()
      toast('Public link revoked', 'success')
    } catch (e) { toastError(e) } finally { setBusy(false) }
  }
  async function copy (url: string) {
    try {
      await navigator.clipboard.writeText(url)
      toast('Link copied', 'success')
    } catch {
      toast('Copying is not allowed here; select the link and copy it', 'error')
    }
  }
  return (
    <Modal title={`Share “${title}” publicly`} onClose={onClose} describedBy='share-explain'>
      <div class='stack share-dialog' data-testid='share-dialog'>
        <p id='share-explain' class='muted'>Anyone with a public link can read this document without an account. They cannot edit it or see anything else.</p>
        {status.error && <ErrorBox error={status.error} retry={status.reload} />}
        {!s && !status.error && <Spinner />}
        {s && !s.allowed && (
          <p class='banner banner-info' role='note' data-testid='share-disabled'>
            Public links are turned off for this organisation. An owner or admin can turn them on in the organisation settings.
          </p>
        )}
        {s && s.allowed && !s.can_manage && <p class='banner banner-info' role='note'>Only the document’s managers can create or revoke its public link.</p>}
        {created && (
          <div class='stack'>
            <div class='field'>
              <label for='public-url'>Public link</label>
              <input id='public-url' type='text' readOnly value={created.url} data-testid='public-url' onFocus={(e) => e.currentTarget.select()} />
            </div>
            <small class='muted'>Copy it now: for safety it cannot be shown again (create a new one if it is lost).</small>
            <div><button type='button' class='btn' onClick={() => copy(created.url)}>Copy link</button></div>
          </div>
        )}
        {s?.link && !created && (
          <p data-testid='share-existing'>
            {s.link.expired ? 'A public link was created ' : 'This document has a public link, created '}
            {formatTime(s.link.created_at)}
            {s.link.expires_at ? (s.link.expired ? `; it expired ${formatTime(s.link.expires_at)}.` : `; it expires ${formatTime(s.link.expires_at)}.`) : '; it does not expire.'}
          </p>
        )}
        {s?.allowed && s.can_manage && (
          <div class='row share-create'>
            <div class='field'>
              <label for='public-link-expiry'>Link expires</label>
              <select id='public-link-expiry' value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)} disabled={busy}>
                {EXPIRIES.map((e) => <option key={e.value} value={e.value}>{e.label}</option>)}
              </select>
            </div>
            <button type='button' class='btn btn-primary' disabled={busy} onClick={create}>{s.link ? 'Create a new link' : 'Create link'}</button>
          </div>
        )}
        {s?.allowed === false && <div><button type='button' class='btn btn-primary' disabled>Create link</button></div>}
        <div class='row-end'>
          {s?.link && s.can_manage && <button type='button' class='btn btn-danger' disabled={busy} onClick={revoke}>Revoke link</button>}
          <button type='button' class='btn' onClick={onClose}>Done</button>
        </div>
      </div>
    </Modal>
  )
}

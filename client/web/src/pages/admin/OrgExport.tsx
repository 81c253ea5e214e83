import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import type { components } from '../../lib/api-types'
import { toastError } from '../../lib/session'
import { formatBytes, formatDate, formatTime } from '../../lib/text'
import { ErrorBox } from '../../ui/common'

export type OrgExport = components['schemas']['OrgExport']

/** How recent an export must be for the organisation to be deleted (the server's rule). */
export const EXPORT_WINDOW_MS = 24 * 3600 * 1000
/** How often the list is read again while an export is being built. */
const POLL_MS = 1000

/** The organisation's exports, read again while one is queued or running, and a way to start
 * one: shared by the Danger zone and the deletion dialog. */
export function useOrgExports (org: string) {
  const [items, setItems] = useState<OrgExport[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [starting, setStarting] = useState(false)
  const [nonce, setNonce] = useState(0)
  const busy = items?.some((e) => e.state === 'queued' || e.state === 'running') ?? false
  useEffect(() => {
    const ctrl = new AbortController()
    api.get<{ items: OrgExport[] }>(`/api/v1/orgs/${org}/exports`, { signal: ctrl.signal }).then(
      (page) => { setItems(page.items); setError(null) },
      (e) => { if (e?.name !== 'AbortError') setError(e) }
    )
    return () => ctrl.abort()
  }, [org, nonce])
  useEffect(() => {
    if (!busy) return
    const timer = setTimeout(() => setNonce((n) => n + 1), POLL_MS)
    return () => clearTimeout(timer)
  }, [busy, items])
  async function start (): Promise<void> {
    setStarting(true)
    try {
      const created = await api.post<OrgExport>(`/api/v1/orgs/${org}/export`)
      setItems((list) => [created, ...(list ?? [])])
    } catch (e) {
      toastError(e)
    } finally {
      setStarting(false)
    }
  }
  const recent = items?.find((e) => e.state === 'done' && (e.finished_at ?? 0) >= Date.now() - EXPORT_WINDOW_MS) ?? null
  return { items, error, busy, starting, start, recent }
}

export type OrgExports = ReturnType<typeof useOrgExports>

export function downloadUrl (org: string, id: string): string {
  return `/api/v1/orgs/${org}/exports/${id}/download`
}

function stateText (e: OrgExport): string {
  switch (e.state) {
    case 'queued': return 'Waiting to start…'
    case 'running': return 'Being prepared…'
    case 'done': return `Ready${e.size != null ? `, ${formatBytes(e.size)}` : ''} — kept until ${formatDate(e.expires_at)}`
    case 'failed': return `Failed${e.error ? `: ${e.error}` : ''}`
  }
}

/** "Export everything": the button, the export in progress (announced politely) and the
 * recent exports with their download links. */
export function OrgExportPanel ({ org, exports, compact }: { org: string, exports: OrgExports, compact?: boolean }) {
  const { items, error, busy, starting, start } = exports
  const shown = compact ? (items ?? []).slice(0, 1) : (items ?? [])
  return (
    <div class='stack'>
      <div><button type='button' class='btn' onClick={() => { void start() }} disabled={starting || busy}>Export everything</button></div>
      <p class='hint small' role='status' aria-live='polite'>{busy ? 'An export is being prepared; this page updates when it is ready.' : ''}</p>
      <ErrorBox error={error} />
      {shown.length > 0 && (
        <ul class='cards' aria-label='Recent exports'>
          {shown.map((e) => (
            <li key={e.id} class='card'>
              <strong>Export of {formatTime(e.created_at)}</strong>
              {e.requested_by && <span class='muted'> by {e.requested_by.name}</span>}
              <p>{stateText(e)}</p>
              {e.state === 'done' && <p><a class='btn' href={downloadUrl(org, e.id)} download>Download ZIP</a></p>}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

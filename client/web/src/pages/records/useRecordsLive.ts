// Keeps a type's screens current from the events socket: `record.created`, `record.updated`,
// `record.transitioned` (the record as it is now) and `record.deleted` of this type, and a
// `resync` after the socket missed events. The server sends a record's events only to members
// who may read it, so an "only own" reader never hears of others' records.
import { useEffect, useRef } from 'preact/hooks'
import { events } from '../../lib/session'
import type { BizRecord, ImportProgress } from '../../lib/types'

export interface RecordListeners {
  /** A record of the type was created or changed (by anyone, this tab included). */
  onRecord?: (record: BizRecord) => void
  onRemoved?: (id: string) => void
  /** The socket resumed without the events it missed: refetch. */
  onResync?: () => void
  /** Progress of this user's CSV import into the type. */
  onImportProgress?: (p: ImportProgress) => void
}

export function useRecordsLive (type: string | undefined, listeners: RecordListeners): void {
  // The latest callbacks, without resubscribing on every render.
  const ref = useRef(listeners)
  ref.current = listeners
  useEffect(() => {
    if (!type) return
    const onRecord = (r: BizRecord) => { if (r.type === type) ref.current.onRecord?.(r) }
    const offs = [
      events.on('record.created', (f) => onRecord(f.data)),
      events.on('record.updated', (f) => onRecord(f.data)),
      events.on('record.transitioned', (f) => onRecord(f.data)),
      events.on('record.deleted', (f) => { if (f.data.type === type) ref.current.onRemoved?.(f.data.id) }),
      events.on('record.import.progress', (f) => { if (f.data.type === type) ref.current.onImportProgress?.(f.data) }),
      events.on('resync', () => ref.current.onResync?.())
    ]
    return () => { for (const off of offs) off() }
  }, [type])
}

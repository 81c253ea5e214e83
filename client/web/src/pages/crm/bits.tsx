// Small pieces the CRM screens share: the stage chip, a deal's amount and owner as people read
// them, a record type with defaults for a form opened in a context (a new contact of this
// client), live updates of several types at once, and a debounced call.
import { useEffect, useRef } from 'preact/hooks'
import { userById } from '../../lib/session'
import type { BizRecord, RecordType } from '../../lib/types'
import { formatMoney } from '../records/money'
import { useRecordsLive } from '../records/useRecordsLive'
import type { Deal } from './api'
import { ownerOf, stageLabel } from './pipeline'

/** A deal's stage: a colour and always its name. */
export function StageChip ({ stage, testId }: { stage: string | null | undefined, testId?: string }) {
  const s = stage ?? 'lead'
  return <span class={`stage stage-${s}`} data-testid={testId} data-stage={s}>{stageLabel(s)}</span>
}

/** Minor units of `currency` as text; no amount is a dash. */
export function amountText (minor: unknown, currency: string | null | undefined): string {
  return typeof minor === 'number' ? formatMoney(minor, currency?.toUpperCase()) : '—'
}

/** A person's name by user id, as far as this org's member list knows it. */
export function personName (id: string | null | undefined): string {
  if (!id) return 'Nobody'
  return userById.value.get(id)?.name ?? 'Someone outside the org'
}

/** The name of a deal's owner. */
export function ownerName (deal: Deal): string {
  return personName(ownerOf(deal))
}

/** `type` with other defaults for a new record (the client's id for its new contact). */
export function withDefaults (type: RecordType, defaults: Record<string, unknown>): RecordType {
  return { ...type, fields: type.fields.map((f) => f.name in defaults && defaults[f.name] !== undefined ? { ...f, default: defaults[f.name] as any } : f) }
}

/** Live updates of several record types at once (records/useRecordsLive.ts for each). */
export function useTypesLive (types: string[], on: { onRecord: (r: BizRecord) => void, onRemoved: (id: string, type: string) => void, onResync: () => void }): void {
  const ref = useRef(on)
  ref.current = on
  // The same hooks in the same order on every render: a screen's list of types is a constant.
  for (const type of types) {
    useRecordsLive(type, {
      onRecord: (r) => ref.current.onRecord(r),
      onRemoved: (id) => ref.current.onRemoved(id, type),
      onResync: () => ref.current.onResync()
    })
  }
}

/** `fn` called once `ms` after the last call. */
export function useDebounced (fn: () => void, ms: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const latest = useRef(fn)
  latest.current = fn
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current) }, [])
  return () => {
    if (timer.current) clearTimeout(timer.current)
    timer.current = setTimeout(() => latest.current(), ms)
  }
}

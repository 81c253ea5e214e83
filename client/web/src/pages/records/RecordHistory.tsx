// A record's field-level history beside its form: who, when, what (created, changed, a workflow
// step with its comment, amended) and each field's before → after; child rows by their path.
import { userById } from '../../lib/session'
import { formatTime } from '../../lib/text'
import type { RecordHistoryEntry } from '../../lib/types'
import { ErrorBox, useAsync } from '../../ui/common'
import { recordsApi } from './api'

function show (v: unknown): string {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function what (e: RecordHistoryEntry): string {
  if (e.kind === 'transitioned') return `took “${e.action ?? 'a step'}”`
  if (e.kind === 'created') return e.action === 'import' ? 'imported it' : 'created it'
  if (e.kind === 'amended') return 'amended it'
  return 'changed it'
}

/** `version` refetches the history whenever the record changes. */
export function RecordHistory ({ recordId, version }: { recordId: string, version: number }) {
  const list = useAsync((signal) => recordsApi.history(recordId, signal), [recordId, version])
  const items = [...(list.data?.items ?? [])].reverse()
  return (
    <section class='record-history' aria-labelledby='history-head'>
      <h2 id='history-head'>History</h2>
      <ErrorBox error={list.error} retry={list.reload} />
      <ol class='history' data-testid='history'>
        {items.map((e) => (
          <li key={e.id}>
            <div><strong>{e.user_id ? (userById.value.get(e.user_id)?.name ?? 'Someone') : 'The system'}</strong> {what(e)} <span class='muted small'>{formatTime(e.at)}</span></div>
            {e.comment && <blockquote class='history-comment'>{e.comment}</blockquote>}
            {e.changes.length > 0 && (
              <ul class='history-changes'>
                {e.changes.map((c, i) => <li key={i}><span class='mono'>{c.field}</span>: {show(c.before)} → {show(c.after)}</li>)}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}

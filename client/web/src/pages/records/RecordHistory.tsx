// A record's field-level history beside its form: who, when, what (created, changed, a workflow
// step with its comment, amended) and each field's before → after, shown by the field's type
// (money in major units, a child row as its cells).
import { userById } from '../../lib/session'
import { formatTime } from '../../lib/text'
import type { FieldDef, RecordHistoryEntry } from '../../lib/types'
import { ErrorBox, useAsync } from '../../ui/common'
import { recordsApi } from './api'
import { historyChange } from './values'

function what (e: RecordHistoryEntry): string {
  if (e.kind === 'transitioned') return `took “${e.action ?? 'a step'}”`
  if (e.kind === 'created') return e.action === 'import' ? 'imported it' : 'created it'
  if (e.kind === 'amended') return 'amended it'
  return 'changed it'
}

/** `version` refetches the history whenever the record changes. */
export function RecordHistory ({ recordId, version, fields, currency }: { recordId: string, version: number, fields: FieldDef[], currency: string }) {
  const names = (id: string) => userById.value.get(id)?.name
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
                {e.changes.map((c, i) => {
                  const before = historyChange(fields, c.field, c.before, currency, names)
                  const after = historyChange(fields, c.field, c.after, currency, names)
                  return <li key={i}><strong>{after.label}</strong>: {before.text} → {after.text}</li>
                })}
              </ul>
            )}
          </li>
        ))}
      </ol>
    </section>
  )
}

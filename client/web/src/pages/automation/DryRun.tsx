import { useState } from 'preact/hooks'
import { formatTime } from '../../lib/text'
import { ErrorBox, Field, Modal, useSubmit } from '../../ui/common'
import { dryRun, type AutomationRule, type DryRunReport } from './api'

/**
 * The dry run of a saved rule: it replays the organisation's latest events and says, for each,
 * whether the rule matched (or the first condition that failed) and what its actions would
 * have done. Nothing is changed.
 */
export function DryRun ({ rule, onClose }: { rule: AutomationRule, onClose: () => void }) {
  const [count, setCount] = useState('50')
  const [report, setReport] = useState<DryRunReport | null>(null)
  const s = useSubmit()
  async function run (e: Event) {
    e.preventDefault()
    const r = await s.run(() => dryRun(rule.id, Number(count) || undefined))
    if (r) setReport(r)
  }
  const matched = report?.events.filter((e) => e.matched).length ?? 0
  return (
    <Modal title={`Dry run: ${rule.name}`} onClose={onClose} wide>
      <div class='stack'>
        <form class='row wrap' onSubmit={run}>
          <Field label='Latest events to replay' name='dry-run-events' type='number' min={1} max={500} value={count} onInput={(e) => setCount(e.currentTarget.value)} error={s.fields.events} />
          <button class='btn btn-primary' disabled={s.pending}>{report ? 'Run again' : 'Run'}</button>
        </form>
        <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
        {report && (
          <section class='stack' aria-label='Dry run result' data-testid='dry-run-result'>
            <p role='status'>
              {report.events.length === 0
                ? 'No events to replay yet.'
                : `${matched} of ${report.events.length} ${report.events.length === 1 ? 'event' : 'events'} matched. Nothing was changed.`}
            </p>
            {report.events.length > 0 && (
              <ul class='list'>
                {report.events.map((e, i) => (
                  <li key={i} class='list-row' data-testid='dry-run-event' data-matched={e.matched ? 'true' : 'false'}>
                    <div class='grow stack automation-tight'>
                      <div class='row wrap'>
                        <span class={'role-chip outcome ' + (e.matched ? 'outcome-done' : 'outcome-stopped')}>{e.matched ? 'Would run' : 'No match'}</span>
                        <strong>{e.event_type}</strong>
                        <code>{e.entity_id}</code>
                        <span class='muted small'>{formatTime(e.at)}</span>
                      </div>
                      {!e.matched && e.reason && <span class='muted small'>{e.reason}</span>}
                      {e.actions.length > 0 && (
                        <ul class='automation-actions' aria-label='Would do'>
                          {e.actions.map((a, j) => <li key={j}>{a.summary}{a.error && <span class='field-error'> — {a.error}</span>}</li>)}
                        </ul>
                      )}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        )}
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Close</button></div>
      </div>
    </Modal>
  )
}

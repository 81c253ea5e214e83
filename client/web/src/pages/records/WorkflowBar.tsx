// The workflow steps of a record: a button for each transition out of its state, enabled when
// the server says the caller may take it (their roles, self-approval, the step's condition) and
// otherwise disabled with the reason; an optional comment goes with the step. Amend appears on
// a record in the type's amendable state.
import { useState } from 'preact/hooks'
import type { AvailableTransition, BizRecord, RecordType } from '../../lib/types'
import { toastError } from '../../lib/session'
import { recordsApi } from './api'

const WHY: Record<string, string> = {
  permission: 'you may not take workflow steps on this record',
  role: 'none of your roles may take this step',
  self_approval: 'the person who created the record may not take this step',
  condition: 'the record does not meet this step’s condition',
  unavailable: 'not available from this state'
}

export function WorkflowBar ({ type, record, steps, onDone, onAmended }: { type: RecordType, record: BizRecord, steps: AvailableTransition[], onDone: (r: BizRecord) => void, onAmended: (r: BizRecord) => void }) {
  const [comment, setComment] = useState('')
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const amendable = type.workflow?.amend_from && type.workflow.amend_from === record.state && record.can.create
  if (!type.workflow) return null
  async function take (action: string) {
    setPending(true)
    setError(null)
    try {
      const r = await recordsApi.transition(record.id, action, comment.trim() || undefined)
      setComment('')
      onDone(r)
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    } finally { setPending(false) }
  }
  async function amend () {
    setPending(true)
    try { onAmended(await recordsApi.amend(record.id)) } catch (e) { toastError(e) } finally { setPending(false) }
  }
  return (
    <section class='workflow' aria-labelledby='workflow-head'>
      <h2 id='workflow-head' class='sr-only'>Workflow</h2>
      <div class='row wrap'>
        <span>State: <strong class='chip chip-state' data-testid='record-state'>{record.state ?? '—'}</strong></span>
        {steps.map((s) => (
          <button key={s.action} type='button' class={'btn' + (s.allowed ? ' btn-primary' : '')} disabled={!s.allowed || pending} title={s.allowed ? `Move to ${s.to}` : WHY[s.reason ?? ''] ?? s.reason ?? ''} aria-describedby={s.allowed ? undefined : `why-${s.action}`} onClick={() => take(s.action)}>
            {s.action}
          </button>
        ))}
        {amendable && <button type='button' class='btn' disabled={pending} onClick={amend}>Amend</button>}
      </div>
      {steps.some((s) => !s.allowed) && (
        <ul class='muted small why-list'>
          {steps.filter((s) => !s.allowed).map((s) => <li key={s.action} id={`why-${s.action}`}>{s.action}: {WHY[s.reason ?? ''] ?? s.reason}{s.field ? ` (${s.field})` : ''}</li>)}
        </ul>
      )}
      {steps.some((s) => s.allowed) && (
        <div class='field'>
          <label for='wf-comment'>Comment for the next step (optional)</label>
          <input id='wf-comment' value={comment} maxLength={2000} onInput={(e) => setComment(e.currentTarget.value)} />
        </div>
      )}
      {error && <p class='field-error' role='alert'>{error}</p>}
    </section>
  )
}

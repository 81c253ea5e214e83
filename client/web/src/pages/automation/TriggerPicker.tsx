import { useMemo } from 'preact/hooks'
import { Field } from '../../ui/common'
import { Choice } from './bits'
import { describeCron, describeEvent } from './describe'
import { buildEvent, operationsOf, timeZones, type TriggerDraft, type TriggerMode } from './form'

const OP_WORDS: Record<string, string> = { created: 'is created', updated: 'is updated', transitioned: 'is transitioned (workflow)', deleted: 'is deleted', '*': 'changes in any way' }

/**
 * What starts a rule: an event (the kind of entity and what happened to it), a schedule (cron
 * with its reading in words and a time zone), or a task's due date coming near.
 * `error(path)` gives the server's word on a part of the trigger.
 */
export function TriggerPicker ({ draft, onChange, recordTypes, error }: {
  draft: TriggerDraft
  onChange: (next: TriggerDraft) => void
  recordTypes: { slug: string, name: string }[]
  error: (...paths: string[]) => string | undefined
}) {
  const zones = useMemo(timeZones, [])
  const set = (patch: Partial<TriggerDraft>) => onChange({ ...draft, ...patch })
  const typeNames = Object.fromEntries(recordTypes.map((t) => [t.slug, t.name]))
  const mode = (m: TriggerMode, label: string) => (
    <div class='check'>
      <input type='radio' name='trigger-mode' id={`trigger-${m}`} checked={draft.mode === m} onChange={() => set({ mode: m })} />
      <label for={`trigger-${m}`}>{label}</label>
    </div>
  )
  function setKind (kind: string) {
    const ops = operationsOf(kind)
    set({ kind, op: ops.includes(draft.op) ? draft.op : ops[0] })
  }
  const cronWords = draft.mode === 'schedule' ? describeCron(draft.schedule) : null
  // An error the server gives the trigger as a whole belongs to the schedule or the days when
  // that is what the trigger is.
  const whole = error('trigger')
  const scheduleError = error('trigger.schedule', 'schedule') ?? (draft.mode === 'schedule' ? whole : undefined)
  const daysError = error('trigger.due_within_days', 'due_within_days') ?? (draft.mode === 'due' ? whole : undefined)
  const wholeShown = whole && whole !== scheduleError && whole !== daysError ? whole : undefined
  const kindKnown = ['task', 'message', 'record:*'].includes(draft.kind) || recordTypes.some((t) => `record:${t.slug}` === draft.kind)
  return (
    <fieldset class={'settings-group' + (wholeShown ? ' field-invalid' : '')} aria-describedby={wholeShown ? 'trigger-err' : undefined}>
      <legend>Trigger</legend>
      <div class='row wrap' role='radiogroup' aria-label='Starts'>
        {mode('event', 'On an event')}
        {mode('schedule', 'On a schedule')}
        {mode('due', 'Before a task is due')}
      </div>
      {draft.mode === 'event' && (
        <>
          <div class='row wrap'>
            <Choice label='When' id='trigger-kind' value={draft.kind} onChange={setKind} error={error('trigger.event', 'event')}>
              <option value='task'>a task</option>
              <option value='message'>a message in a public channel</option>
              <option value='record:*'>any business record</option>
              {!kindKnown && <option value={draft.kind}>{draft.kind.replace('record:', 'record type ')}</option>}
              {recordTypes.length > 0 && (
                <optgroup label='Business records'>
                  {recordTypes.map((t) => <option key={t.slug} value={`record:${t.slug}`}>{t.name.toLowerCase()}</option>)}
                </optgroup>
              )}
            </Choice>
            <Choice label='Happens' id='trigger-op' value={draft.op} onChange={(op) => set({ op })}>
              {[...operationsOf(draft.kind), ...(operationsOf(draft.kind).includes(draft.op) ? [] : [draft.op])].map((op) => <option key={op} value={op}>{OP_WORDS[op] ?? op}</option>)}
            </Choice>
          </div>
          <p class='muted small' data-testid='trigger-words'>{describeEvent(buildEvent(draft.kind, draft.op), typeNames)} <code>{buildEvent(draft.kind, draft.op)}</code></p>
        </>
      )}
      {draft.mode === 'schedule' && (
        <Field
          label='Schedule (cron: minute hour day-of-month month weekday)' name='trigger-schedule' value={draft.schedule} placeholder='0 9 * * MON'
          onInput={(e) => set({ schedule: e.currentTarget.value })}
          error={scheduleError}
          hint={cronWords ?? 'A schedule this page cannot put in words; the server checks it when you save.'}
        />
      )}
      {draft.mode === 'due' && (
        <Field
          label='Days before the due date' name='trigger-days' type='number' min={0} step={1} value={draft.days}
          onInput={(e) => set({ days: e.currentTarget.value })}
          error={daysError}
          hint='Once per task and due date, for tasks due within this many days (0: on the day).'
        />
      )}
      {draft.mode !== 'event' && (
        <Choice label='Time zone' id='trigger-timezone' value={draft.timezone} onChange={(timezone) => set({ timezone })} error={error('trigger.timezone', 'timezone')}>
          {!zones.includes(draft.timezone) && <option value={draft.timezone}>{draft.timezone}</option>}
          {zones.map((z) => <option key={z} value={z}>{z}</option>)}
        </Choice>
      )}
      {wholeShown && <small id='trigger-err' class='field-error' role='alert'>{wholeShown}</small>}
    </fieldset>
  )
}

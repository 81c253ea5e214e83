import { useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { orgCan, toast } from '../../lib/session'
import type { components } from '../../lib/api-types'
import { ErrorBox, Spinner, useAsync, useSubmit } from '../../ui/common'

type TimesheetSettings = components['schemas']['TimesheetSettings']

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']
/** UTC−12:00 to UTC+14:00 in quarter hours (the offsets in use). */
const OFFSETS = Array.from({ length: (840 + 720) / 15 + 1 }, (_, i) => -720 + i * 15)

export function offsetLabel (minutes: number): string {
  const sign = minutes < 0 ? '−' : '+'
  const m = Math.abs(minutes)
  return `UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
}

/** When last week's timesheet is due and whether people are reminded of it (owners and admins change it). */
export function TimesheetSettingsForm ({ org }: { org: string }) {
  const admin = orgCan(org)?.manage ?? false
  const current = useAsync((signal) => api.get<TimesheetSettings>(`/api/v1/orgs/${org}/timesheet-settings`, { signal }), [org])
  const [edit, setEdit] = useState<TimesheetSettings | null>(null)
  const s = useSubmit()
  if (current.loading && !current.data) return <Spinner />
  // Guests and others who may not read timesheets have none to be reminded of.
  if (current.error instanceof ApiError && current.error.status === 403) return null
  if (current.error) return <ErrorBox error={current.error} retry={current.reload} />
  const shown: Required<TimesheetSettings> = { reminders: true, deadline_weekday: 1, deadline_hour: 12, utc_offset_minutes: 0, ...current.data, ...edit }
  const set = (change: Partial<TimesheetSettings>) => setEdit({ ...shown, ...change })
  async function save (e: Event) {
    e.preventDefault()
    const saved = await s.run(() => api.put<TimesheetSettings>(`/api/v1/orgs/${org}/timesheet-settings`, shown))
    if (saved) {
      current.setData(() => saved)
      setEdit(null)
      toast('Timesheet settings saved', 'success')
    }
  }
  const err = (k: string) => s.fields[k] && <small id={`ts-${k}-err`} class='field-error' role='alert'>{s.fields[k]}</small>
  return (
    <form class='stack narrow-form' onSubmit={save} aria-labelledby='ts-settings-heading' data-testid='timesheet-settings' noValidate>
      <h2 id='ts-settings-heading'>Timesheets</h2>
      <fieldset class='settings-group' disabled={!admin}>
        <legend>Last week’s timesheet is due</legend>
        <div class='row wrap'>
          <div class='field'>
            <label for='ts-deadline-day'>Day</label>
            <select id='ts-deadline-day' value={shown.deadline_weekday} onChange={(e) => set({ deadline_weekday: Number(e.currentTarget.value) })}>
              {WEEKDAYS.map((d, i) => <option key={d} value={i + 1}>{d}</option>)}
            </select>
            {err('deadline_weekday')}
          </div>
          <div class='field'>
            <label for='ts-deadline-hour'>Time</label>
            <select id='ts-deadline-hour' value={shown.deadline_hour} onChange={(e) => set({ deadline_hour: Number(e.currentTarget.value) })}>
              {Array.from({ length: 24 }, (_, h) => <option key={h} value={h}>{String(h).padStart(2, '0')}:00</option>)}
            </select>
            {err('deadline_hour')}
          </div>
          <div class='field'>
            <label for='ts-offset'>Time zone</label>
            <select id='ts-offset' value={shown.utc_offset_minutes} onChange={(e) => set({ utc_offset_minutes: Number(e.currentTarget.value) })}>
              {OFFSETS.map((m) => <option key={m} value={m}>{offsetLabel(m)}</option>)}
            </select>
            {err('utc_offset_minutes')}
          </div>
        </div>
        <label class='check'>
          <input type='checkbox' checked={shown.reminders} onChange={(e) => set({ reminders: e.currentTarget.checked })} /> Remind people who have not submitted it by then
        </label>
      </fieldset>
      {!admin && <p class='muted small'>Only owners and admins can change these settings.</p>}
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      {admin && <div><button class='btn btn-primary' disabled={s.pending || !edit}>Save timesheet settings</button></div>}
    </form>
  )
}

// One's own week of time: a row per project (the org's time report, `/orgs/{org}/time`, by
// day for the caller), the days Monday to Sunday as columns, with totals and the billable part;
// previous and next week, and the week as CSV.
import { useState } from 'preact/hooks'
import { me, projects } from '../../lib/session'
import type { TimeEntry, TimeReport } from '../../lib/types'
import { ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { timeApi } from './api'
import { today } from './bits'
import { addDays, formatMinutes, groupWeek, mondayOf } from './week'
import { qs } from '../../lib/api'

/** The report's day × project rows as entries of no task (a row per project). */
function reportEntries (report: TimeReport | undefined, projectName: (id: string) => string): TimeEntry[] {
  return (report?.rows ?? []).map((r, i) => ({
    id: String(i), project_id: r.project_id, task_id: null, task_key: projectName(r.project_id), user_id: r.user_id,
    date: r.period, minutes: r.minutes, note: '', billable: r.billable_minutes > 0, created_at: 0
  }))
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

export function Timesheet ({ org }: { org: string }) {
  useTitle('Timesheet')
  const [monday, setMonday] = useState(mondayOf(today()))
  const user = me.value!.user.id
  const sunday = addDays(monday, 6)
  const projectName = (id: string) => projects.value.find((p) => p.id === id)?.name ?? 'Another project'
  const report = useAsync((signal) => timeApi.report(org, { user, from: monday, to: sunday, group: 'day' }, signal), [org, monday])
  const week = groupWeek(reportEntries(report.data, projectName), monday)
  const entries = report
  return (
    <section class='page timesheet'>
      <div class='page-head'>
        <h1>Timesheet</h1>
        <div class='row' role='group' aria-label='Week'>
          <button class='btn btn-small' onClick={() => setMonday(addDays(monday, -7))}>Previous week</button>
          <span data-testid='week-label'>{monday} – {sunday}</span>
          <button class='btn btn-small' onClick={() => setMonday(addDays(monday, 7))}>Next week</button>
          <button class='btn btn-small' onClick={() => setMonday(mondayOf(today()))}>This week</button>
        </div>
      </div>
      <ErrorBox error={entries.error} retry={entries.reload} />
      {entries.loading && !entries.data
        ? <Spinner />
        : (
          <table class='table timesheet-table' data-testid='timesheet'>
            <thead>
              <tr>
                <th scope='col'>Project</th>
                {week.days.map((d, i) => <th key={d} scope='col' class={d === today() ? 'today' : ''}>{DAY_NAMES[i]} <span class='muted small'>{d.slice(5)}</span></th>)}
                <th scope='col'>Total</th>
              </tr>
            </thead>
            <tbody>
              {week.rows.map((r) => (
                <tr key={r.key}>
                  <th scope='row'><a href={`/o/${org}/p/${r.projectId}/tasks`}>{r.label}</a></th>
                  {r.days.map((m, i) => <td key={week.days[i]} class='num'>{formatMinutes(m)}</td>)}
                  <td class='num'><strong>{formatMinutes(r.total)}</strong></td>
                </tr>
              ))}
              {!week.rows.length && <tr><td colSpan={9} class='muted'>No time logged this week. Log time from a task, or start its timer.</td></tr>}
            </tbody>
            <tfoot>
              <tr>
                <th scope='row'>Total</th>
                {week.dayTotals.map((m, i) => <td key={week.days[i]} class='num'>{formatMinutes(m)}</td>)}
                <td class='num' data-testid='week-total'><strong>{formatMinutes(week.total) || '0:00'}</strong></td>
              </tr>
            </tfoot>
          </table>
          )}
      {report.data && (
        <p class='muted small' data-testid='week-report'>
          {formatMinutes(report.data.total_minutes) || '0:00'} in all, {formatMinutes(report.data.billable_minutes) || '0:00'} billable.{' '}
          <a href={`/api/v1/orgs/${org}/time.csv${qs({ user, from: monday, to: sunday, group: 'day' })}`} download>Download as CSV</a>
        </p>
      )}
    </section>
  )
}

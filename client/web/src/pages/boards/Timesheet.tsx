// One's own week of time: a row per task (key and title), grouped under its project, from
// one's entries across tasks (`/orgs/{org}/time/entries`); the days Monday to Sunday as
// columns, with per-project, per-day and week totals and the billable part; previous and next
// week, and the week as CSV. `?week=` (a day of it) opens another week. The week's timesheet
// for approval (pages/timesheets) is one link away.
import { Fragment } from 'preact'
import { useState } from 'preact/hooks'
import { me } from '../../lib/session'
import { ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { timeApi } from './api'
import { today } from './bits'
import { addDays, formatMinutes, groupWeek, mondayOf } from './week'
import { qs } from '../../lib/api'
import { query } from '../../lib/router'

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

export function Timesheet ({ org }: { org: string }) {
  useTitle('Time log')
  const [monday, setMonday] = useState(() => {
    const asked = query.value.get('week')
    return mondayOf(asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked)) ? asked : today())
  })
  const user = me.value!.user.id
  const sunday = addDays(monday, 6)
  const entries = useAsync((signal) => timeApi.timesheet(org, { from: monday, to: sunday }, signal), [org, monday])
  const week = groupWeek(entries.data?.entries ?? [], monday)
  return (
    <section class='page timesheet'>
      <div class='page-head'>
        <h1>Time log</h1>
        <div class='row' role='group' aria-label='Week'>
          <button class='btn btn-small' onClick={() => setMonday(addDays(monday, -7))}>Previous week</button>
          <span data-testid='week-label'>{monday} – {sunday}</span>
          <button class='btn btn-small' onClick={() => setMonday(addDays(monday, 7))}>Next week</button>
          <button class='btn btn-small' onClick={() => setMonday(mondayOf(today()))}>This week</button>
        </div>
      </div>
      <ErrorBox error={entries.error} retry={entries.reload} />
      {!entries.data
        ? (entries.error ? null : <Spinner />)
        : (
          <table class='table timesheet-table' data-testid='timesheet'>
            <thead>
              <tr>
                <th scope='col'>Task</th>
                {week.days.map((d, i) => <th key={d} scope='col' class={d === today() ? 'today' : ''}>{DAY_NAMES[i]} <span class='muted small'>{d.slice(5)}</span></th>)}
                <th scope='col'>Total</th>
              </tr>
            </thead>
            <tbody>
              {week.projects.map((p) => (
                <Fragment key={p.projectId}>
                  <tr class='timesheet-project' data-project={p.projectId}>
                    <th scope='rowgroup'><a href={`/o/${org}/p/${p.projectId}/tasks`}>{p.name}</a></th>
                    {p.days.map((m, i) => <td key={week.days[i]} class='num muted'>{formatMinutes(m)}</td>)}
                    <td class='num'>{formatMinutes(p.total)}</td>
                  </tr>
                  {p.rows.map((r) => (
                    <tr key={r.key} class='timesheet-task' data-task={r.taskId ?? ''}>
                      <th scope='row'>
                        {r.taskId
                          ? <a href={`/o/${org}/p/${p.projectId}/tasks?task=${r.taskId}`}><span class='task-key'>{r.label}</span> {r.title}</a>
                          : <span class='muted'>{r.label}</span>}
                      </th>
                      {r.days.map((m, i) => <td key={week.days[i]} class='num'>{formatMinutes(m)}</td>)}
                      <td class='num'><strong>{formatMinutes(r.total)}</strong></td>
                    </tr>
                  ))}
                </Fragment>
              ))}
              {!week.projects.length && <tr><td colSpan={9} class='muted'>No time logged this week. Log time from a task, or start its timer.</td></tr>}
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
      {entries.data && (
        <p class='muted small' data-testid='week-report'>
          {formatMinutes(week.total) || '0:00'} in all, {formatMinutes(week.billable) || '0:00'} billable.{' '}
          <a href={`/api/v1/orgs/${org}/time.csv${qs({ user, from: monday, to: sunday, group: 'day' })}`} download>Download as CSV</a>{' · '}
          <a href={`/o/${org}/timesheets?week=${monday}`}>Timesheet of this week, for approval</a>
        </p>
      )}
    </section>
  )
}

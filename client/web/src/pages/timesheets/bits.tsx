// Pieces the timesheet screens share: the state chip, people's and projects' names, task names
// looked up once per session, the tabs, and the read-only table of a timesheet's rows.
import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { path } from '../../lib/router'
import { me, projects, userById } from '../../lib/session'
import type { Task } from '../../lib/types'
import { dayLabel, formatHm, stateLabel, totals, type SheetRow } from './sheet'

/** A timesheet's state: a colour and always its name. */
export function StateChip ({ state, testId }: { state: string | null | undefined, testId?: string }) {
  const s = state ?? 'draft'
  return <span class={`ts-state ts-state-${s}`} data-testid={testId} data-state={s}>{stateLabel(s)}</span>
}

/** A person's name, as far as the org's member list knows it. */
export function personName (id: string | null | undefined): string {
  if (!id) return 'Someone'
  if (id === me.value?.user.id) return me.value.user.name
  return userById.value.get(id)?.name ?? 'Someone outside the organisation'
}

/** Names joined for a sentence: "Mia", "Mia and Ann", "Mia, Ann and Bo". */
export function names (ids: string[] | null | undefined): string {
  const list = (ids ?? []).map(personName)
  if (list.length <= 1) return list[0] ?? 'nobody'
  return `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`
}

/** When something happened, for a sentence: "at 14:05" today, else "on 4 Nov, 14:05". */
export function when (ms: number): string {
  const d = new Date(ms)
  if (new Date().toDateString() === d.toDateString()) return `at ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
  return `on ${d.toLocaleString([], { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })}`
}

/** A project's name among those the caller can see. */
export function projectName (id: string): string | undefined {
  return projects.value.find((p) => p.id === id)?.name
}

const taskNames = new Map<string, string>()
const taskAsked = new Set<string>()

/** "KEY Title" of tasks (looked up once per session; a task the caller cannot read stays unknown). */
export function useTaskNames (ids: string[]): (id: string | null | undefined) => string | undefined {
  const [, setTick] = useState(0)
  const missing = [...new Set(ids.filter((id) => id && !taskAsked.has(id)))]
  useEffect(() => {
    if (!missing.length) return
    for (const id of missing) taskAsked.add(id)
    Promise.all(missing.map((id) => api.get<Task>(`/api/v1/tasks/${id}`).then((t) => { taskNames.set(id, `${t.key} ${t.title}`) }, () => {})))
      .then(() => setTick((n) => n + 1))
  }, [missing.join(',')])
  return (id) => (id ? taskNames.get(id) : undefined)
}

/** Remembers a task's name (one just chosen). */
export function rememberTask (id: string, name: string): void {
  taskNames.set(id, name)
  taskAsked.add(id)
}

/** What a row is about: its task's key and title, else its description. */
export function rowLabel (row: { task?: string | null, description?: string | null }, taskName: (id: string | null | undefined) => string | undefined): string {
  return (row.task ? taskName(row.task) : undefined) ?? (row.description || (row.task ? 'A task' : '—'))
}

/** "My timesheet" and "Approvals". */
export function Tabs ({ org, week }: { org: string, week?: string }) {
  const here = path.value
  const tabs = [
    { href: `/o/${org}/timesheets${week ? `?week=${week}` : ''}`, path: `/o/${org}/timesheets`, label: 'My timesheet' },
    { href: `/o/${org}/timesheets/approvals`, path: `/o/${org}/timesheets/approvals`, label: 'Approvals' }
  ]
  return (
    <nav class='tabs' aria-label='Timesheets'>
      {tabs.map((t) => <a key={t.path} href={t.href} class={'tab' + (here === t.path ? ' active' : '')} aria-current={here === t.path ? 'page' : undefined}>{t.label}</a>)}
    </nav>
  )
}

/** A timesheet's rows, read-only, with the totals of each day and the week. */
export function RowsTable ({ rows, monday, caption, id, testId }: { rows: SheetRow[], monday: string, caption: string, id?: string, testId?: string }) {
  const taskName = useTaskNames(rows.filter((r) => r.task && !r.description).map((r) => r.task!))
  const t = totals(rows, monday)
  return (
    <div class='ts-table-wrap' id={id} data-testid={testId}>
      <table class='ts-table'>
        <caption class='sr-only'>{caption}</caption>
        <thead>
          <tr>
            <th scope='col'>Project</th>
            <th scope='col'>Task or description</th>
            <th scope='col'>Day</th>
            <th scope='col' class='num'>Hours</th>
            <th scope='col'>Billable</th>
            <th scope='col'>Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={r.id ?? i} data-testid='sheet-row' data-row={i}>
              <td>{projectName(r.project) ?? <span class='muted'>A project you cannot see</span>}</td>
              <td>{rowLabel(r, taskName)}</td>
              <td>{dayLabel(r.date)}</td>
              <td class='num' data-testid='row-hours'>{formatHm(r.minutes)}</td>
              <td>{r.billable === false ? 'No' : 'Yes'}</td>
              <td class='ts-note'>{r.note ?? ''}</td>
            </tr>
          ))}
          {!rows.length && <tr><td colSpan={6} class='muted'>No rows.</td></tr>}
        </tbody>
      </table>
      <DayTotals totals={t} caption={`Totals of ${caption.toLowerCase()}`} />
    </div>
  )
}

/** The totals of each day and of the week, all and billable. */
export function DayTotals ({ totals: t, caption }: { totals: ReturnType<typeof totals>, caption: string }) {
  return (
    <table class='ts-totals' data-testid='totals'>
      <caption class='sr-only'>{caption}</caption>
      <thead>
        <tr>
          <td />
          {t.days.map((d) => <th key={d} scope='col'>{dayLabel(d)}</th>)}
          <th scope='col'>Week</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <th scope='row'>Total</th>
          {t.perDay.map((m, i) => <td key={t.days[i]} class='num' data-day={t.days[i]}>{m ? formatHm(m) : <span class='muted'>–</span>}</td>)}
          <td class='num' data-testid='week-total'><strong>{formatHm(t.total)}</strong></td>
        </tr>
        <tr>
          <th scope='row'>Billable</th>
          {t.billablePerDay.map((m, i) => <td key={t.days[i]} class='num' data-day={t.days[i]}>{m ? formatHm(m) : <span class='muted'>–</span>}</td>)}
          <td class='num' data-testid='week-billable'><strong>{formatHm(t.billable)}</strong></td>
        </tr>
      </tbody>
    </table>
  )
}

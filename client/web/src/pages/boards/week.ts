// The timesheet's arithmetic: ISO weeks named by their Monday, dates as `YYYY-MM-DD` in UTC (the
// server's dates), and time entries grouped into rows (tasks, under their projects) × days with
// totals.
import type { TimesheetEntry } from '../../lib/types'

const DAY_MS = 86_400_000

function parse (date: string): number {
  const [y, m, d] = date.split('-').map(Number)
  return Date.UTC(y, m - 1, d)
}

export function formatDate (ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** `date` plus `days` (negative goes back). */
export function addDays (date: string, days: number): string {
  return formatDate(parse(date) + days * DAY_MS)
}

/** The Monday of the week `date` falls in. */
export function mondayOf (date: string): string {
  const ms = parse(date)
  const weekday = (new Date(ms).getUTCDay() + 6) % 7 // Monday 0 … Sunday 6
  return formatDate(ms - weekday * DAY_MS)
}

/** The seven dates of the week that starts on `monday`. */
export function weekDays (monday: string): string[] {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i))
}

export interface WeekRow {
  /** The task id, or `project:<id>` for time of a task that was deleted. */
  key: string
  taskId: string | null
  /** The task's key (`ENG-42`), or `No task`. */
  label: string
  title: string
  projectId: string
  /** Minutes per day of the week, Monday first. */
  days: number[]
  total: number
}

/** A project's task rows with their per-day and overall totals. */
export interface WeekProject {
  projectId: string
  name: string
  rows: WeekRow[]
  days: number[]
  total: number
}

export interface Week {
  days: string[]
  /** Projects by name, each with its task rows by key. */
  projects: WeekProject[]
  /** Minutes per day over all rows. */
  dayTotals: number[]
  total: number
  /** The billable part of `total`. */
  billable: number
}

/** The entries of the week starting `monday` grouped by task (rows sorted by key in numeric
 * order) under their project (sorted by name), with per-day and overall totals. Entries
 * outside the week are left out. */
export function groupWeek (entries: TimesheetEntry[], monday: string): Week {
  const days = weekDays(monday)
  const projects = new Map<string, WeekProject & { byTask: Map<string, WeekRow> }>()
  const dayTotals = days.map(() => 0)
  let total = 0
  let billable = 0
  for (const e of entries) {
    const i = days.indexOf(e.date)
    if (i < 0) continue
    let project = projects.get(e.project_id)
    if (!project) {
      project = { projectId: e.project_id, name: e.project_name, rows: [], byTask: new Map(), days: days.map(() => 0), total: 0 }
      projects.set(e.project_id, project)
    }
    const key = e.task_id ?? `project:${e.project_id}`
    let row = project.byTask.get(key)
    if (!row) {
      row = { key, taskId: e.task_id ?? null, label: e.task_key ?? 'No task', title: e.task_title ?? '', projectId: e.project_id, days: days.map(() => 0), total: 0 }
      project.byTask.set(key, row)
    }
    row.days[i] += e.minutes
    row.total += e.minutes
    project.days[i] += e.minutes
    project.total += e.minutes
    dayTotals[i] += e.minutes
    total += e.minutes
    if (e.billable) billable += e.minutes
  }
  const byKey = (a: WeekRow, b: WeekRow) => a.label.localeCompare(b.label, undefined, { numeric: true })
  const grouped = [...projects.values()]
    .sort((a, b) => a.name.localeCompare(b.name) || a.projectId.localeCompare(b.projectId))
    .map(({ byTask, ...project }) => ({ ...project, rows: [...byTask.values()].sort(byKey) }))
  return { days, projects: grouped, dayTotals, total, billable }
}

/** Minutes as `1:05` (hours and minutes), empty for none. */
export function formatMinutes (minutes: number): string {
  if (!minutes) return ''
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  return `${h}:${String(m).padStart(2, '0')}`
}

/** What a person types for a duration (`90`, `1:30`, `1.5h`, `1h 30m`, `45m`) in minutes, or
 * null when it is not one. */
export function parseDuration (text: string): number | null {
  const s = text.trim().toLowerCase()
  if (!s) return null
  let m = /^(\d+):([0-5]\d)$/.exec(s)
  if (m) return Number(m[1]) * 60 + Number(m[2])
  m = /^(\d+(?:\.\d+)?)\s*h(?:\s*(\d+)\s*m)?$/.exec(s)
  if (m) return Math.round(Number(m[1]) * 60) + Number(m[2] ?? 0)
  m = /^(\d+)\s*m?$/.exec(s)
  if (m) return Number(m[1])
  return null
}

// The timesheet's arithmetic: ISO weeks named by their Monday, dates as `YYYY-MM-DD` in UTC (the
// server's dates), and time entries grouped into rows (tasks) × days with totals.
import type { TimeEntry } from '../../lib/types'

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
  /** The task id, or `project:<id>` for time logged on a project without a task. */
  key: string
  taskId: string | null
  label: string
  projectId: string
  /** Minutes per day of the week, Monday first. */
  days: number[]
  total: number
}

export interface Week {
  days: string[]
  rows: WeekRow[]
  /** Minutes per day over all rows. */
  dayTotals: number[]
  total: number
}

/** The entries of the week starting `monday` grouped by task (rows sorted by label), with
 * per-day and overall totals. Entries outside the week are left out. */
export function groupWeek (entries: TimeEntry[], monday: string): Week {
  const days = weekDays(monday)
  const rows = new Map<string, WeekRow>()
  const dayTotals = days.map(() => 0)
  let total = 0
  for (const e of entries) {
    const i = days.indexOf(e.date)
    if (i < 0) continue
    const key = e.task_id ?? `project:${e.project_id}`
    let row = rows.get(key)
    if (!row) {
      row = { key, taskId: e.task_id ?? null, label: e.task_key ?? 'No task', projectId: e.project_id, days: days.map(() => 0), total: 0 }
      rows.set(key, row)
    }
    row.days[i] += e.minutes
    row.total += e.minutes
    dayTotals[i] += e.minutes
    total += e.minutes
  }
  const sorted = [...rows.values()].sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }))
  return { days, rows: sorted, dayTotals, total }
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

// The timesheet's rules, free of the screen: hours typed and shown as h:mm, the week a URL names
// and its neighbours, the rows being edited and what is sent back, the totals per day and for the
// week (all and billable), and what the history says about the last rejection or approval.
// Dates are `YYYY-MM-DD` in UTC, the server's; weeks are named by their Monday.
import type { RecordHistoryEntry } from '../../lib/types'
import { addDays, mondayOf, weekDays } from '../boards/week'

export { addDays, mondayOf, weekDays }

/** Longest a row may be: a whole day (the server's limit too). */
export const MAX_MINUTES = 1440

/** A timesheet row as the server holds it (`entries[]`). */
export interface SheetRow {
  id?: string
  project: string
  task?: string | null
  description?: string | null
  date: string
  minutes: number
  billable?: boolean | null
  note?: string | null
  time_entry?: string | null
}

/** A timesheet's fields (the record's top-level keys this screen reads). */
export interface SheetFields {
  user?: string
  week?: string
  entries?: SheetRow[] | null
  total_minutes?: number
  billable_minutes?: number
  approvers?: string[] | null
}

export type SheetState = 'draft' | 'submitted' | 'approved' | 'rejected'

export const STATE_LABEL: Record<SheetState, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  approved: 'Approved',
  rejected: 'Rejected'
}

export function stateLabel (state: string | null | undefined): string {
  return STATE_LABEL[(state ?? 'draft') as SheetState] ?? state ?? 'Draft'
}

/** Whether a timesheet in `state` is still its person's to change. */
export function editableState (state: string | null | undefined): boolean {
  return !state || state === 'draft' || state === 'rejected'
}

// ---- hours ---------------------------------------------------------------------------------

/** Minutes as hours and minutes: 90 → "1:30", 0 → "0:00". */
export function formatHm (minutes: number): string {
  const sign = minutes < 0 ? '-' : ''
  const m = Math.abs(Math.round(minutes))
  return `${sign}${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`
}

/**
 * Minutes of what a person types in an hours cell, or null when it is not a duration:
 * "1:30" (h:mm), "2" or "1.5" or "0,25" (hours), "1h", "1h30", "1h 30m", "1.5h", "45m".
 * A bare number is hours, as the column says. Fractions of a minute round to the nearest.
 */
export function parseHm (text: string): number | null {
  const s = text.trim().toLowerCase().replace(/\s+/g, ' ')
  if (!s) return null
  let m = /^(\d{1,3}):([0-5]\d)$/.exec(s)
  if (m) return Number(m[1]) * 60 + Number(m[2])
  m = /^(\d{1,3}(?:[.,]\d+)?) ?h?$/.exec(s)
  if (m) return Math.round(Number(m[1].replace(',', '.')) * 60)
  m = /^(\d{1,3}) ?h ?(\d{1,2}) ?m?$/.exec(s)
  if (m && Number(m[2]) < 60) return Number(m[1]) * 60 + Number(m[2])
  m = /^(\d{1,4}) ?m(?:in)?$/.exec(s)
  if (m) return Number(m[1])
  return null
}

/** Why `text` is not an acceptable row duration, or null when it is. */
export function hoursError (text: string): string | null {
  if (!text.trim()) return 'Enter the hours, e.g. 1:30'
  const minutes = parseHm(text)
  if (minutes === null) return 'Enter hours as h:mm, e.g. 1:30'
  if (minutes < 1) return 'Must be at least one minute'
  if (minutes > MAX_MINUTES) return 'Must be at most 24:00'
  return null
}

// ---- weeks ---------------------------------------------------------------------------------

const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Whether `s` is a real calendar date `YYYY-MM-DD`. */
export function isDate (s: string | null | undefined): s is string {
  if (!s || !DATE.test(s)) return false
  const d = new Date(s + 'T00:00:00Z')
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

/** The Monday of the week a URL's `?week=` names (any day of it will do), else of `today`. */
export function weekFromParam (param: string | null | undefined, today: string): string {
  return mondayOf(isDate(param) ? param : today)
}

/** The Monday `weeks` weeks after (negative: before) the week of `monday`. */
export function shiftWeek (monday: string, weeks: number): string {
  return addDays(mondayOf(monday), 7 * weeks)
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

function parts (date: string): [number, number, number] {
  const [y, m, d] = date.split('-').map(Number)
  return [y, m, d]
}

/** The week of `monday` as people read it: "2 – 8 Nov 2026", "30 Nov – 6 Dec 2026", "29 Dec 2025 – 4 Jan 2026". */
export function weekLabel (monday: string): string {
  const [y1, m1, d1] = parts(monday)
  const [y2, m2, d2] = parts(addDays(monday, 6))
  if (y1 !== y2) return `${d1} ${MONTHS[m1 - 1]} ${y1} – ${d2} ${MONTHS[m2 - 1]} ${y2}`
  if (m1 !== m2) return `${d1} ${MONTHS[m1 - 1]} – ${d2} ${MONTHS[m2 - 1]} ${y2}`
  return `${d1} – ${d2} ${MONTHS[m2 - 1]} ${y2}`
}

/** A day of a week as a column head or a choice: "Wed 4 Nov". */
export function dayLabel (date: string): string {
  const [, m, d] = parts(date)
  const weekday = (new Date(date + 'T00:00:00Z').getUTCDay() + 6) % 7
  return `${DAY_NAMES[weekday]} ${d} ${MONTHS[m - 1]}`
}

/** The week a reminder's text names ("… the week of 2026-11-02 is due"), if it names one. */
export function weekInText (text: string | null | undefined): string | null {
  const m = /\b(\d{4}-\d{2}-\d{2})\b/.exec(text ?? '')
  return m && isDate(m[1]) ? mondayOf(m[1]) : null
}

// ---- rows being edited ---------------------------------------------------------------------

/** A row on the screen: the server's row plus the hours as typed and a key for the list. */
export interface DraftRow {
  key: string
  id?: string
  project: string
  task: string
  description: string
  date: string
  /** The hours as typed ("1:30"). */
  hours: string
  billable: boolean
  note: string
}

let keySeq = 0
function nextKey (): string { return `row-${++keySeq}` }

/** The rows of a saved timesheet, ready to edit. */
export function toDraft (rows: SheetRow[] | null | undefined): DraftRow[] {
  return (rows ?? []).map((r) => ({
    key: r.id ?? nextKey(),
    id: r.id,
    project: r.project,
    task: r.task ?? '',
    description: r.description ?? '',
    date: r.date,
    hours: formatHm(r.minutes),
    billable: r.billable !== false,
    note: r.note ?? ''
  }))
}

/** A new row for the week of `monday`: the first project offered, Monday, billable. */
export function newRow (monday: string, project: string, date = monday): DraftRow {
  return { key: nextKey(), project, task: '', description: '', date, hours: '', billable: true, note: '' }
}

/** Each row's problems by field (`project`, `date`, `hours`), keyed by the row's key. */
export function rowErrors (rows: DraftRow[], monday: string): Record<string, Partial<Record<'project' | 'date' | 'hours', string>>> {
  const days = weekDays(monday)
  const out: Record<string, Partial<Record<'project' | 'date' | 'hours', string>>> = {}
  for (const r of rows) {
    const e: Partial<Record<'project' | 'date' | 'hours', string>> = {}
    if (!r.project) e.project = 'Choose a project'
    if (!days.includes(r.date)) e.date = 'Choose a day of this week'
    const h = hoursError(r.hours)
    if (h) e.hours = h
    if (Object.keys(e).length) out[r.key] = e
  }
  return out
}

/** The rows as `PATCH /records/{id}` takes them (the row ids kept, so history follows them). */
export function toWire (rows: DraftRow[]): SheetRow[] {
  return rows.map((r) => {
    const row: SheetRow = {
      project: r.project,
      date: r.date,
      minutes: parseHm(r.hours) ?? 0,
      billable: r.billable
    }
    if (r.id) row.id = r.id
    if (r.task) row.task = r.task
    if (r.description.trim()) row.description = r.description.trim()
    if (r.note.trim()) row.note = r.note.trim()
    return row
  })
}

/** Whether the rows on screen say something else than the saved ones. */
export function changed (rows: DraftRow[], saved: SheetRow[] | null | undefined): boolean {
  const a = toWire(rows)
  const b = toWire(toDraft(saved))
  return JSON.stringify(a) !== JSON.stringify(b)
}

// ---- totals --------------------------------------------------------------------------------

export interface WeekTotals {
  days: string[]
  /** Minutes per day, Monday first. */
  perDay: number[]
  /** The billable part of each day. */
  billablePerDay: number[]
  total: number
  billable: number
}

/** Totals of rows (saved ones, or the hours as typed; a row whose hours do not read counts
 * nothing) per day of the week of `monday` and for the week. Rows outside the week are left out. */
export function totals (rows: Array<SheetRow | DraftRow>, monday: string): WeekTotals {
  const days = weekDays(monday)
  const perDay = days.map(() => 0)
  const billablePerDay = days.map(() => 0)
  for (const r of rows) {
    const i = days.indexOf(r.date)
    if (i < 0) continue
    const minutes = 'hours' in r ? (parseHm(r.hours) ?? 0) : (r.minutes ?? 0)
    perDay[i] += minutes
    if (r.billable !== false) billablePerDay[i] += minutes
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
  return { days, perDay, billablePerDay, total: sum(perDay), billable: sum(billablePerDay) }
}

// ---- history -------------------------------------------------------------------------------

export interface Decision { action: string, user_id: string | null, at: number, comment: string | null }

/** The last time someone took `action` (e.g. `reject`), with who, when and their comment. */
export function lastStep (history: RecordHistoryEntry[] | null | undefined, action: string): Decision | null {
  const items = history ?? []
  for (let i = items.length - 1; i >= 0; i--) {
    const h = items[i]
    if (h.kind === 'transitioned' && h.action === action) {
      return { action, user_id: h.user_id ?? null, at: h.at, comment: h.comment ?? null }
    }
  }
  return null
}

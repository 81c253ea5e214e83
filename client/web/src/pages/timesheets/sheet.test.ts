import { describe, expect, it } from 'vitest'
import type { RecordHistoryEntry } from '../../lib/types'
import {
  changed, dayLabel, editableState, formatHm, hoursError, isDate, lastStep, newRow, parseHm, rowErrors, shiftWeek,
  toDraft, totals, toWire, weekFromParam, weekInText, weekLabel, type SheetRow
} from './sheet'

const MONDAY = '2026-11-02'

describe('hours as h:mm', () => {
  it('formats minutes as hours and minutes', () => {
    expect(formatHm(0)).toBe('0:00')
    expect(formatHm(5)).toBe('0:05')
    expect(formatHm(90)).toBe('1:30')
    expect(formatHm(600)).toBe('10:00')
    expect(formatHm(1440)).toBe('24:00')
    expect(formatHm(-75)).toBe('-1:15')
  })

  it('reads h:mm, hours, and hours with minutes', () => {
    expect(parseHm('1:30')).toBe(90)
    expect(parseHm(' 0:45 ')).toBe(45)
    expect(parseHm('2')).toBe(120)
    expect(parseHm('1.5')).toBe(90)
    expect(parseHm('0,25')).toBe(15)
    expect(parseHm('1.5h')).toBe(90)
    expect(parseHm('1h')).toBe(60)
    expect(parseHm('1h30')).toBe(90)
    expect(parseHm('1h 30m')).toBe(90)
    expect(parseHm('45m')).toBe(45)
    expect(parseHm('45 min')).toBe(45)
    expect(parseHm('0.1')).toBe(6)
  })

  it('refuses what is not a duration', () => {
    for (const bad of ['', ' ', 'abc', '1:60', '1:5', '-1', '1h75', '1:30:00', '1..5', 'h']) {
      expect(parseHm(bad), bad).toBeNull()
    }
  })

  it('round-trips every minute of a day', () => {
    for (let m = 0; m <= 1440; m += 7) expect(parseHm(formatHm(m))).toBe(m)
  })

  it('says why a row duration is refused', () => {
    expect(hoursError('1:30')).toBeNull()
    expect(hoursError('')).toMatch(/Enter the hours/)
    expect(hoursError('soon')).toMatch(/h:mm/)
    expect(hoursError('0:00')).toMatch(/at least one minute/)
    expect(hoursError('24:01')).toMatch(/at most 24:00/)
    expect(hoursError('24')).toBeNull()
  })
})

describe('weeks', () => {
  it('reads the week a URL names, any day of it, else this week', () => {
    expect(weekFromParam('2026-11-02', '2026-12-03')).toBe('2026-11-02')
    expect(weekFromParam('2026-11-08', '2026-12-03')).toBe('2026-11-02')
    expect(weekFromParam('2026-11-04', '2026-12-03')).toBe('2026-11-02')
    expect(weekFromParam(null, '2026-12-03')).toBe('2026-11-30')
    expect(weekFromParam('2026-02-30', '2026-12-03')).toBe('2026-11-30')
    expect(weekFromParam('next week', '2026-12-06')).toBe('2026-11-30')
  })

  it('steps whole weeks, across months and years', () => {
    expect(shiftWeek(MONDAY, 1)).toBe('2026-11-09')
    expect(shiftWeek(MONDAY, -1)).toBe('2026-10-26')
    expect(shiftWeek('2026-12-28', 1)).toBe('2027-01-04')
    expect(shiftWeek('2027-01-04', -1)).toBe('2026-12-28')
    expect(shiftWeek('2026-11-05', 0)).toBe(MONDAY)
    // Across the change to summer time (dates are UTC: no day is lost or doubled).
    expect(shiftWeek('2026-03-23', 1)).toBe('2026-03-30')
  })

  it('names weeks and days as people read them', () => {
    expect(weekLabel(MONDAY)).toBe('2 – 8 Nov 2026')
    expect(weekLabel('2026-11-30')).toBe('30 Nov – 6 Dec 2026')
    expect(weekLabel('2025-12-29')).toBe('29 Dec 2025 – 4 Jan 2026')
    expect(dayLabel('2026-11-04')).toBe('Wed 4 Nov')
    expect(dayLabel('2026-11-08')).toBe('Sun 8 Nov')
  })

  it('checks dates and finds the week a reminder names', () => {
    expect(isDate('2026-11-02')).toBe(true)
    expect(isDate('2026-13-02')).toBe(false)
    expect(isDate('2026-1-2')).toBe(false)
    expect(weekInText('Your timesheet for the week of 2026-11-02 is due')).toBe(MONDAY)
    expect(weekInText('Your timesheet is due')).toBeNull()
  })
})

const saved: SheetRow[] = [
  { id: 'a', project: 'p1', task: 't1', description: 'CW-1 Design', date: '2026-11-02', minutes: 90, billable: true },
  { id: 'b', project: 'p1', task: 't2', description: 'CW-2 Fix', date: '2026-11-04', minutes: 30, billable: true, note: 'call' },
  { id: 'c', project: 'p2', description: 'Admin', date: '2026-11-04', minutes: 45, billable: false }
]

describe('totals', () => {
  it('adds up each day and the week, all and billable', () => {
    const t = totals(saved, MONDAY)
    expect(t.days).toEqual(['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08'])
    expect(t.perDay).toEqual([90, 0, 75, 0, 0, 0, 0])
    expect(t.billablePerDay).toEqual([90, 0, 30, 0, 0, 0, 0])
    expect(t.total).toBe(165)
    expect(t.billable).toBe(120)
  })

  it('follows the hours as typed, counting rows that do not read as nothing', () => {
    const rows = toDraft(saved)
    rows[1].hours = '1:15'
    rows[2].hours = 'soon'
    rows.push({ ...newRow(MONDAY, 'p1', '2026-11-08'), hours: '2' })
    const t = totals(rows, MONDAY)
    expect(t.perDay).toEqual([90, 0, 75, 0, 0, 0, 120])
    expect(t.total).toBe(285)
    expect(t.billable).toBe(285)
  })

  it('leaves out rows of other weeks', () => {
    expect(totals([{ project: 'p', date: '2026-11-09', minutes: 60 }], MONDAY).total).toBe(0)
  })
})

describe('rows being edited', () => {
  it('turn back into what was saved, ids kept, unchanged until edited', () => {
    const rows = toDraft(saved)
    expect(rows.map((r) => r.hours)).toEqual(['1:30', '0:30', '0:45'])
    expect(toWire(rows)).toEqual(saved.map(({ time_entry: _, ...r }) => r))
    expect(changed(rows, saved)).toBe(false)
    rows[0].hours = '2:00'
    expect(changed(rows, saved)).toBe(true)
    expect(toWire(rows)[0].minutes).toBe(120)
  })

  it('send a new row without an id, its note and description trimmed and absent when empty', () => {
    const row = { ...newRow(MONDAY, 'p1'), hours: '0:20', description: '  Standup ', note: ' ' }
    expect(toWire([row])).toEqual([{ project: 'p1', date: MONDAY, minutes: 20, billable: true, description: 'Standup' }])
  })

  it('name the problems of each row', () => {
    const rows = [
      { ...newRow(MONDAY, ''), hours: '1' },
      { ...newRow(MONDAY, 'p1', '2026-11-09'), hours: '25:00' },
      { ...newRow(MONDAY, 'p1'), hours: '0:30' }
    ]
    const errors = rowErrors(rows, MONDAY)
    expect(errors[rows[0].key]).toEqual({ project: 'Choose a project' })
    expect(errors[rows[1].key]).toEqual({ date: 'Choose a day of this week', hours: 'Must be at most 24:00' })
    expect(errors[rows[2].key]).toBeUndefined()
  })

  it('are editable only in draft and when rejected', () => {
    expect(editableState('draft')).toBe(true)
    expect(editableState('rejected')).toBe(true)
    expect(editableState(null)).toBe(true)
    expect(editableState('submitted')).toBe(false)
    expect(editableState('approved')).toBe(false)
  })
})

describe('history', () => {
  const h = (kind: string, action: string | null, at: number, comment?: string, user_id = 'mia'): RecordHistoryEntry =>
    ({ id: String(at), kind, action, at, comment, user_id, changes: [] })
  it('finds the last rejection with its reason', () => {
    const history = [h('created', null, 1), h('transitioned', 'submit', 2), h('transitioned', 'reject', 3, 'Wednesday is missing'), h('transitioned', 'submit', 4), h('transitioned', 'reject', 5, 'Still missing', 'ann')]
    expect(lastStep(history, 'reject')).toEqual({ action: 'reject', user_id: 'ann', at: 5, comment: 'Still missing' })
    expect(lastStep(history, 'approve')).toBeNull()
    expect(lastStep(undefined, 'reject')).toBeNull()
  })
})

import { describe, it, expect } from 'vitest'
import { addDays, groupWeek, mondayOf, weekDays, formatMinutes, parseDuration } from './week'
import type { TimesheetEntry } from '../../lib/types'

function entry (id: string, date: string, minutes: number, task: string | null, key: string | null = task, project = 'p', billable = true): TimesheetEntry {
  const projectName = project === 'p' ? 'Platform' : 'Apps'
  return { id, project_id: project, project_name: projectName, task_id: task, task_key: key, task_title: task && `Title of ${task}`, user_id: 'u', date, minutes, note: '', billable, created_at: 0 }
}

describe('weeks', () => {
  it('names a week by its Monday, across months and years', () => {
    expect(mondayOf('2026-12-02')).toBe('2026-11-30') // a Wednesday
    expect(mondayOf('2026-11-30')).toBe('2026-11-30')
    expect(mondayOf('2026-12-06')).toBe('2026-11-30') // the Sunday belongs to the same week
    expect(mondayOf('2027-01-01')).toBe('2026-12-28')
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
    expect(weekDays('2026-12-28')).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01', '2027-01-02', '2027-01-03'])
  })

  it('groups entries into task rows and day columns with exact totals', () => {
    const week = groupWeek([
      entry('1', '2026-11-30', 30, 't2', 'ENG-10'),
      entry('2', '2026-11-30', 45, 't1', 'ENG-2'),
      entry('3', '2026-12-02', 15, 't1', 'ENG-2'),
      entry('4', '2026-12-06', 60, null),
      entry('5', '2026-12-07', 999, 't1', 'ENG-2'), // the next week
      entry('6', '2026-11-29', 999, 't1', 'ENG-2') // the week before
    ], '2026-11-30')
    // Numeric order: ENG-2 before ENG-10; time of a deleted task in its own row.
    const [platform] = week.projects
    expect(week.projects).toHaveLength(1)
    expect(platform.rows.map((r) => r.label)).toEqual(['ENG-2', 'ENG-10', 'No task'])
    expect(platform.rows[0].title).toBe('Title of t1')
    expect(platform.rows[0].days).toEqual([45, 0, 15, 0, 0, 0, 0])
    expect(platform.rows[0].total).toBe(60)
    expect(platform.rows[2].key).toBe('project:p')
    expect(platform.rows[2].taskId).toBeNull()
    expect(week.dayTotals).toEqual([75, 0, 15, 0, 0, 0, 60])
    expect(week.total).toBe(150)
    expect(week.dayTotals.reduce((a, b) => a + b, 0)).toBe(platform.rows.reduce((a, r) => a + r.total, 0))
  })

  it('puts task rows under their projects by name, with project and billable totals', () => {
    const week = groupWeek([
      entry('1', '2026-11-30', 30, 't1', 'ENG-1'),
      entry('2', '2026-12-01', 20, 'a1', 'APP-1', 'q', false),
      entry('3', '2026-12-01', 25, 'a2', 'APP-2', 'q'),
      entry('4', '2026-12-01', 5, 'a1', 'APP-1', 'q', false)
    ], '2026-11-30')
    expect(week.projects.map((p) => p.name)).toEqual(['Apps', 'Platform'])
    const [apps, platform] = week.projects
    expect(apps.rows.map((r) => [r.label, r.total])).toEqual([['APP-1', 25], ['APP-2', 25]])
    expect(apps.days).toEqual([0, 50, 0, 0, 0, 0, 0])
    expect(apps.total).toBe(50)
    expect(platform.total).toBe(30)
    expect(week.total).toBe(apps.total + platform.total)
    expect(week.billable).toBe(55)
  })

  it('formats and parses durations', () => {
    expect(formatMinutes(0)).toBe('')
    expect(formatMinutes(65)).toBe('1:05')
    expect(parseDuration('90')).toBe(90)
    expect(parseDuration('1:30')).toBe(90)
    expect(parseDuration('1.5h')).toBe(90)
    expect(parseDuration('1h 30m')).toBe(90)
    expect(parseDuration('45m')).toBe(45)
    expect(parseDuration('soon')).toBeNull()
    expect(parseDuration('1:75')).toBeNull()
  })
})

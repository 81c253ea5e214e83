import { describe, expect, it } from 'vitest'
import { timesheetPath } from './links'

describe('timesheet notifications', () => {
  it('lead a submitted timesheet to the approvals inbox, open at it', () => {
    expect(timesheetPath('o1', { kind: 'timesheet_submitted', channel_id: 'ts1', snippet: 'Timesheet for the week of 2026-11-02' }))
      .toBe('/o/o1/timesheets/approvals?sheet=ts1')
  })

  it('lead a decision to the person’s week', () => {
    expect(timesheetPath('o1', { kind: 'timesheet_approved', channel_id: 'ts1', snippet: '' })).toBe('/o/o1/timesheets?sheet=ts1')
    expect(timesheetPath('o1', { kind: 'timesheet_rejected', channel_id: 'ts1', snippet: 'rejected: no' })).toBe('/o/o1/timesheets?sheet=ts1')
  })

  it('lead a reminder to its timesheet, or to the week it names', () => {
    expect(timesheetPath('o1', { kind: 'timesheet_due', channel_id: 'ts1', snippet: '' })).toBe('/o/o1/timesheets?sheet=ts1')
    expect(timesheetPath('o1', { kind: 'timesheet_due', channel_id: null, snippet: 'Your timesheet for the week of 2026-11-02 is due' })).toBe('/o/o1/timesheets?week=2026-11-02')
    expect(timesheetPath('o1', { kind: 'timesheet_due', channel_id: null, snippet: 'Your timesheet is due' })).toBe('/o/o1/timesheets')
  })

  it('leave chat notifications to chat', () => {
    for (const kind of ['mention', 'reply', 'dm', 'message', 'task_assigned'] as const) {
      expect(timesheetPath('o1', { kind, channel_id: 'c1', snippet: 'hi' })).toBeNull()
    }
  })
})

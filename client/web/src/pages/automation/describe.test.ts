import { describe, expect, it } from 'vitest'
import { describeCron, describeEvent, describeTrigger } from './describe'

describe('triggers in words', () => {
  it('names events by kind and operation', () => {
    expect(describeEvent('record.invoice.transitioned', { invoice: 'Invoice' })).toBe('When an invoice is transitioned')
    expect(describeEvent('record.leave_request.created')).toBe('When a leave request is created')
    expect(describeEvent('task.updated')).toBe('When a task is updated')
    expect(describeEvent('task.*')).toBe('On any change to a task')
    expect(describeEvent('message.created')).toBe('When a message is posted')
    expect(describeEvent('record.*')).toBe('On any change to a business record')
    expect(describeEvent('record.deleted')).toBe('When a business record is deleted')
    expect(describeEvent('*')).toBe('On any event')
  })

  it('says schedules with their time zone and due dates in days', () => {
    expect(describeTrigger({ schedule: '0 9 * * MON', timezone: 'Europe/Berlin' })).toBe('Every Monday at 09:00 (Europe/Berlin)')
    expect(describeTrigger({ schedule: '0 9 * * 1' })).toBe('Every Monday at 09:00 (UTC)')
    expect(describeTrigger({ schedule: '5 4 3 2 *' })).toBe('Every year on February 3 at 04:05 (UTC)')
    expect(describeTrigger({ schedule: '0 9 1,15 * *', timezone: 'UTC' })).toBe('On the schedule 0 9 1,15 * * (UTC)')
    expect(describeTrigger({ due_within_days: 3 })).toBe('3 days before a task is due')
    expect(describeTrigger({ due_within_days: 1 })).toBe('1 day before a task is due')
    expect(describeTrigger({ due_within_days: 0 })).toBe('On the day a task is due')
    expect(describeTrigger({ event: 'task.created' })).toBe('When a task is created')
  })
})

describe('cron in words', () => {
  it('reads the common shapes', () => {
    expect(describeCron('* * * * *')).toBe('Every minute')
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes')
    expect(describeCron('5 * * * *')).toBe('Every hour at :05')
    expect(describeCron('0 */2 * * *')).toBe('Every 2 hours at :00')
    expect(describeCron('30 18 * * *')).toBe('Every day at 18:30')
    expect(describeCron('0 9 * * MON-FRI')).toBe('Every weekday (Monday to Friday) at 09:00')
    expect(describeCron('0 9 * * 1-5')).toBe('Every weekday (Monday to Friday) at 09:00')
    expect(describeCron('0 9 * * mon,wed,fri')).toBe('Every Monday, Wednesday and Friday at 09:00')
    expect(describeCron('0 9 * * 0')).toBe('Every Sunday at 09:00')
    expect(describeCron('0 9 * * 7')).toBe('Every Sunday at 09:00')
    expect(describeCron('0 8 1 * *')).toBe('On the 1st of every month at 08:00')
    expect(describeCron('0 8 22 * *')).toBe('On the 22nd of every month at 08:00')
    expect(describeCron('0 8 13 * *')).toBe('On the 13th of every month at 08:00')
  })

  it('gives up on other shapes and on what is not a schedule', () => {
    for (const bad of ['', 'every monday', '0 9 * *', '61 9 * * *', '0 24 * * *', '0 9 * * FUNDAY', '0 9 32 * *', '0 9 1 * MON', '*/0 * * * *', '0 9 * * * *']) {
      expect(describeCron(bad)).toBeNull()
    }
  })
})

// Where a timesheet notification leads. The notification centre (in the first-load bundle)
// imports this alone, so it stays free of the timesheet screens.
import type { Notification } from '../../lib/types'

/** The screen of a timesheet notification (`channel_id` is the timesheet's id): a submitted one
 * opens the approvals inbox at it, the others the person's week (`?sheet=` finds the week; a
 * reminder for a week without a timesheet names the week in its text); null for other kinds. */
export function timesheetPath (org: string, n: Pick<Notification, 'kind' | 'channel_id' | 'snippet'>): string | null {
  const id = n.channel_id ? encodeURIComponent(n.channel_id) : null
  switch (n.kind) {
    case 'timesheet_submitted':
      return `/o/${org}/timesheets/approvals${id ? `?sheet=${id}` : ''}`
    case 'timesheet_approved':
    case 'timesheet_rejected':
      return `/o/${org}/timesheets${id ? `?sheet=${id}` : ''}`
    case 'timesheet_due': {
      if (id) return `/o/${org}/timesheets?sheet=${id}`
      // "Your timesheet for the week of 2026-11-02 is due"
      const week = /\b(\d{4}-\d{2}-\d{2})\b/.exec(n.snippet ?? '')?.[1]
      return `/o/${org}/timesheets${week ? `?week=${week}` : ''}`
    }
    default:
      return null
  }
}

// Small pieces the board, the list and the task panel share: label chips, due dates, priority
// marks, lane names.
import type { Priority, Swimlanes } from '../../lib/types'
import { userById } from '../../lib/session'
import { path } from '../../lib/router'
import { NO_LANE } from './boardState'

export const PRIORITIES: Priority[] = ['urgent', 'high', 'medium', 'low', 'none']
export const PRIORITY_LABEL: Record<Priority, string> = { urgent: 'Urgent', high: 'High', medium: 'Medium', low: 'Low', none: 'No priority' }

/** A stable hue per label, so a label looks the same on every card. */
function hue (text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 360
  return h
}

export function LabelChip ({ label }: { label: string }) {
  return <span class='chip chip-label' style={{ '--label-hue': String(hue(label)) }}>{label}</span>
}

/** Today as the server names dates (UTC). */
export function today (): string {
  return new Date().toISOString().slice(0, 10)
}

export function DueDate ({ due, closed }: { due: string, closed: boolean }) {
  const overdue = !closed && due < today()
  const text = new Date(due + 'T00:00:00Z').toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
  return <span class={'due' + (overdue ? ' overdue' : '')} title={`Due ${due}${overdue ? ' (overdue)' : ''}`}>{overdue ? 'Overdue · ' : 'Due '}{text}</span>
}

export function PriorityMark ({ priority }: { priority: Priority }) {
  if (priority === 'none') return null
  return <span class={`prio prio-${priority}`}>{PRIORITY_LABEL[priority]}</span>
}

/** What a lane is called. */
export function laneName (lane: string, swimlanes: Swimlanes | null | undefined): string {
  if (swimlanes === 'priority') return PRIORITY_LABEL[lane as Priority] ?? lane
  if (lane === NO_LANE) return swimlanes === 'assignee' ? 'Unassigned' : 'No label'
  if (swimlanes === 'assignee') return userById.value.get(lane)?.name ?? 'Unknown person'
  return lane
}

/** Lists typed as "a, b, c". */
export function splitList (text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean)
}

/** Where a link to another task goes: its page when a task page is open, else the side panel
 * of the screen open now (`?task=`). */
export function taskHref (id: string): string {
  const m = /^\/o\/([^/]+)\/tasks\/[^/]+$/.exec(path.value)
  return m ? `/o/${m[1]}/tasks/${encodeURIComponent(id)}` : `${path.value}?task=${encodeURIComponent(id)}`
}

// The run log's helpers: where a run's entity is shown, and the newest page laid over what the
// log already shows.

import type { RuleRun } from './types'

/** Where a run's entity is shown in the app, from the event that triggered it (null: nowhere). */
export function entityHref (org: string, trigger: string, entity: string): string | null {
  const parts = trigger.split('.')
  if (parts[0] === 'task' || trigger === 'due') return `/o/${org}/tasks/${entity}`
  if (parts[0] === 'record' && parts.length === 3) return `/o/${org}/records/${parts[1]}/${entity}`
  return null
}

/**
 * The newest page over the first page shown before: new runs first, known ones as they are now
 * (a pending run becomes done), and the shown runs older than the new page kept, so the pages
 * loaded with the cursor still follow on.
 */
export function merge (fresh: RuleRun[], shown: RuleRun[]): RuleRun[] {
  const ids = new Set(fresh.map((r) => r.id))
  const oldest = fresh.length ? fresh[fresh.length - 1].created_at : Infinity
  return [...fresh, ...shown.filter((r) => !ids.has(r.id) && r.created_at < oldest)]
}

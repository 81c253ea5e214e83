import { describe, expect, it } from 'vitest'
import { entityHref, merge } from './runs'
import type { RuleRun } from './types'

const run = (id: string, created_at: number, outcome: RuleRun['outcome'] = 'done'): RuleRun =>
  ({ id, rule_id: 'r', trigger: 'task.updated', outcome, depth: 0, actions: [], created_at })

describe('the run log', () => {
  it('links tasks and records, not messages or schedules', () => {
    expect(entityHref('o', 'task.updated', 't1')).toBe('/o/o/tasks/t1')
    expect(entityHref('o', 'due', 't1')).toBe('/o/o/tasks/t1')
    expect(entityHref('o', 'record.invoice.transitioned', 'r1')).toBe('/o/o/records/invoice/r1')
    expect(entityHref('o', 'message.created', 'm1')).toBeNull()
    expect(entityHref('o', 'schedule', 'x')).toBeNull()
  })

  it('lays the newest page over the shown one', () => {
    const shown = [run('b', 20, 'pending'), run('a', 10)]
    // A new run, the pending one now done; the older shown run stays after them.
    expect(merge([run('c', 30), run('b', 20)], shown).map((r) => [r.id, r.outcome])).toEqual([['c', 'done'], ['b', 'done'], ['a', 'done']])
    // Nothing new: the page as it is.
    expect(merge([run('b', 20), run('a', 10)], shown).map((r) => r.id)).toEqual(['b', 'a'])
    // An empty answer keeps what was shown.
    expect(merge([], shown).map((r) => r.id)).toEqual(['b', 'a'])
  })
})

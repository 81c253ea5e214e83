import { describe, expect, it } from 'vitest'
import type { DocVersion } from '../../../lib/types'
import { byDay, versionLabel } from './history'

function version (id: string, at: Date, kind: 'named' | 'auto' = 'auto'): DocVersion {
  const ms = at.getTime()
  return { id, name: kind === 'named' ? id : '', created_at: ms, kind, authors: [], from: ms - 60_000, to: ms }
}

describe('history', () => {
  it('groups versions by local day, keeping their order', () => {
    const groups = byDay([
      version('c', new Date(2026, 11, 4, 18, 0)),
      version('b', new Date(2026, 11, 4, 9, 0), 'named'),
      version('a', new Date(2026, 11, 3, 23, 59))
    ])
    expect(groups.map((g) => g.versions.map((v) => v.id))).toEqual([['c', 'b'], ['a']])
  })

  it('names a named version by its name and a snapshot by the span of its edits', () => {
    expect(versionLabel(version('Draft', new Date(2026, 11, 4, 9, 0), 'named'))).toBe('Draft')
    const snap = version('s', new Date(2026, 11, 4, 9, 0))
    expect(versionLabel(snap)).toMatch(/^Edits .+ – .+$/)
    expect(versionLabel({ ...snap, from: snap.to })).toMatch(/^Edits at /)
  })
})

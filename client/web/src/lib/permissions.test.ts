import { describe, it, expect } from 'vitest'
import { applies, cellKey, defaultOf, isDirty, placeErrors, resetCell, RESOURCE_TYPES, rowsOf, rulesFrom, setCell, shownScope, tableFrom } from './permissions'

// A slice of a real answer: editors write and viewers read documents by default; the org
// overrode viewers' document reads to `none` and gave accountants `write` on documents.
const table = tableFrom({
  effective: [
    { role: 'editor', resource: 'document', action: 'write', scope: 'all' },
    { role: 'accountant', resource: 'document', action: 'write', scope: 'all' }
  ],
  overrides: [
    { role: 'accountant', resource: 'document', action: 'write', scope: 'all' },
    { role: 'viewer', resource: 'document', action: 'read', scope: 'none' }
  ],
  defaults: [
    { role: 'editor', resource: 'document', action: 'write', scope: 'all' },
    { role: 'viewer', resource: 'document', action: 'read', scope: 'all' }
  ]
})
const EDITOR_WRITE = cellKey('editor', 'document', 'write')
const EDITOR_DELETE = cellKey('editor', 'document', 'manage')
const ACCOUNTANT_WRITE = cellKey('accountant', 'document', 'write')
const VIEWER_READ = cellKey('viewer', 'document', 'read')

describe('defaults', () => {
  it('are the built-in table, overridden or not (absent: none)', () => {
    expect(defaultOf(table, EDITOR_WRITE)).toBe('all')
    expect(defaultOf(table, EDITOR_DELETE)).toBe('none')
    expect(defaultOf(table, ACCOUNTANT_WRITE)).toBe('none')
    expect(defaultOf(table, VIEWER_READ)).toBe('all')
  })
})

describe('editing a draft', () => {
  const loaded = table.overrides
  it('starts clean and shows overrides, then defaults', () => {
    expect(isDirty(table, loaded)).toBe(false)
    expect(shownScope(table, loaded, ACCOUNTANT_WRITE)).toBe('all')
    expect(shownScope(table, loaded, VIEWER_READ)).toBe('none')
    expect(shownScope(table, loaded, EDITOR_WRITE)).toBe('all')
    expect(shownScope(table, loaded, EDITOR_DELETE)).toBe('none')
  })
  it('records a change from the default as an override', () => {
    const d = setCell(table, loaded, EDITOR_WRITE, 'own')
    expect(d.get(EDITOR_WRITE)).toBe('own')
    expect(isDirty(table, d)).toBe(true)
    expect(loaded.has(EDITOR_WRITE)).toBe(false)
  })
  it('drops the override when a cell is set back to its known default', () => {
    const d = setCell(table, setCell(table, loaded, EDITOR_WRITE, 'none'), EDITOR_WRITE, 'all')
    expect(d.has(EDITOR_WRITE)).toBe(false)
    expect(isDirty(table, d)).toBe(false)
  })
  it('drops the override of an overridden cell set back to its default', () => {
    const d = setCell(table, loaded, VIEWER_READ, 'all')
    expect(d.has(VIEWER_READ)).toBe(false)
    expect(isDirty(table, d)).toBe(true)
    expect(setCell(table, loaded, VIEWER_READ, 'own').get(VIEWER_READ)).toBe('own')
  })
  it('resets a cell: the override goes and the default shows', () => {
    const d = resetCell(loaded, VIEWER_READ)
    expect(d.has(VIEWER_READ)).toBe(false)
    expect(shownScope(table, d, VIEWER_READ)).toBe('all')
    expect(isDirty(table, d)).toBe(true)
    expect(shownScope(table, resetCell(setCell(table, loaded, EDITOR_WRITE, 'none'), EDITOR_WRITE), EDITOR_WRITE)).toBe('all')
  })
  it('notices a changed scope even when the number of overrides is the same', () => {
    const d = new Map(loaded)
    d.set(VIEWER_READ, 'own')
    expect(isDirty(table, d)).toBe(true)
  })
})

describe('the PUT body', () => {
  it('lists every override as a rule, in the server order', () => {
    const d = setCell(table, table.overrides, cellKey('member', 'org', 'read_audit'), 'all')
    expect(rulesFrom(d)).toEqual([
      { role: 'accountant', resource: 'document', action: 'write', scope: 'all' },
      { role: 'viewer', resource: 'document', action: 'read', scope: 'none' },
      { role: 'member', resource: 'org', action: 'read_audit', scope: 'all' }
    ])
  })
})

describe('422 field errors', () => {
  it('land on the cell of the rule they name; the rest stay general', () => {
    const sent = rulesFrom(new Map([[cellKey('owner', 'org', 'delete'), 'none'], [cellKey('sales', 'record', 'export'), 'all']]))
    const placed = placeErrors({
      'overrides[0].role': 'the owner\'s permissions are fixed',
      'overrides[0].scope': 'one of all, own, none',
      'overrides[5].role': 'no such rule',
      overrides: 'at most 2000 rules'
    }, sent)
    expect(placed.cells.get(cellKey('owner', 'org', 'delete'))).toEqual(['the owner\'s permissions are fixed', 'one of all, own, none'])
    expect(placed.cells.has(cellKey('sales', 'record', 'export'))).toBe(false)
    expect(placed.other).toEqual(['no such rule', 'at most 2000 rules'])
  })
})

describe('rows', () => {
  it('name base roles under org-level types, project roles under project types, business roles everywhere', () => {
    const rows = rowsOf(['accountant'])
    const org = RESOURCE_TYPES.find((t) => t.name === 'org')!
    const doc = RESOURCE_TYPES.find((t) => t.name === 'document')!
    const owner = rows.find((r) => r.role === 'owner')!
    const manager = rows.find((r) => r.role === 'manager')!
    const accountant = rows.find((r) => r.group === 'business')!
    expect(owner.fixed).toBe(true)
    expect(rows.filter((r) => r.fixed)).toHaveLength(1)
    expect([applies(owner, org), applies(owner, doc)]).toEqual([true, false])
    expect([applies(manager, org), applies(manager, doc)]).toEqual([false, true])
    expect([applies(accountant, org), applies(accountant, doc)]).toEqual([true, true])
    expect(rows.filter((r) => r.role === 'viewer').map((r) => r.group)).toEqual(['org', 'project'])
  })
})

import { describe, expect, it } from 'vitest'
import type { FieldDef } from '../../lib/types'
import { filterKind, filterParams, nextSort, sortParam } from './filters'

const fields: FieldDef[] = [
  { name: 'status', type: 'select', options: ['open', 'won', 'lost'] },
  { name: 'fee', type: 'money' },
  { name: 'due', type: 'date' },
  { name: 'title', type: 'text' },
  { name: 'paid', type: 'boolean' },
  { name: 'hours', type: 'duration' },
  { name: 'lines', type: 'table', fields: [] }
]

describe('filters', () => {
  it('chooses how each type is filtered', () => {
    expect(filterKind('select')).toBe('options')
    expect(filterKind('money')).toBe('range')
    expect(filterKind('email')).toBe('text')
    expect(filterKind('link')).toBe('id')
    expect(filterKind('table')).toBeNull()
  })

  it('builds the list query: equals, in, ranges in the stored form, contains, empty', () => {
    const { params, errors } = filterParams(fields, {
      status: { any: ['open', 'won'] },
      fee: { from: '10', to: '1,000.50' },
      due: { from: '2026-01-01' },
      title: { contains: '  Acme ' },
      paid: { eq: 'false' },
      hours: { to: '1:30' }
    }, 'EUR')
    expect(errors).toEqual({})
    expect(params).toEqual({
      'status.in': 'open,won',
      'fee.gte': '1000',
      'fee.lte': '100050',
      'due.gte': '2026-01-01',
      'title.contains': 'Acme',
      paid: 'false',
      'hours.lte': '5400'
    })
    expect(filterParams(fields, { status: { any: ['lost'] } }, 'EUR').params).toEqual({ status: 'lost' })
    expect(filterParams(fields, { fee: { from: '5' } }, 'JPY').params).toEqual({ 'fee.gte': '5' })
  })

  it('asks only for emptiness when "is empty" is set, and reports bad operands', () => {
    expect(filterParams(fields, { due: { empty: 'true', from: '2026-01-01' } }, 'EUR').params).toEqual({ 'due.empty': 'true' })
    expect(filterParams(fields, { due: { empty: 'false' } }, 'EUR').params).toEqual({ 'due.empty': 'false' })
    const bad = filterParams(fields, { fee: { from: 'lots' }, due: { to: 'soon' } }, 'EUR')
    expect(Object.keys(bad.errors).sort()).toEqual(['due.to', 'fee.from'])
    expect(bad.params).toEqual({})
  })

  it('cycles the sort of a column: ascending, descending, none', () => {
    let s = nextSort(null, 'fee')
    expect(sortParam(s)).toBe('fee')
    s = nextSort(s, 'fee')
    expect(sortParam(s)).toBe('-fee')
    s = nextSort(s, 'fee')
    expect(sortParam(s)).toBeUndefined()
    expect(nextSort({ field: 'fee', desc: true }, 'due')).toEqual({ field: 'due', desc: false })
  })
})

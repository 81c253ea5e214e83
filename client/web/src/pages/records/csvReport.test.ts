import { describe, expect, it } from 'vitest'
import { importReport } from './csvReport'

describe('importReport', () => {
  it('orders errors by row and column and keeps the rest apart', () => {
    const r = importReport({
      'rows[12].fee': 'must be a whole number',
      'rows[3].code': 'is required',
      'rows[3]': 'is not a CSV row',
      'rows[3].amount': 'must be at least 0',
      'header.colour': 'names no field of this type',
      rows: 'at most 100000 rows per import'
    })
    expect(r.rows).toEqual([
      { row: 3, column: null, message: 'is not a CSV row' },
      { row: 3, column: 'amount', message: 'must be at least 0' },
      { row: 3, column: 'code', message: 'is required' },
      { row: 12, column: 'fee', message: 'must be a whole number' }
    ])
    expect(r.general).toEqual(['Column “colour” names no field of this type', 'rows at most 100000 rows per import'])
  })
})

import { describe, expect, it } from 'vitest'
import { addDays, aging, bucketOf, dayNumber } from './aging'

describe('receivables aging', () => {
  it('puts days past due into buckets', () => {
    expect([-5, 0, 1, 30, 31, 60, 61, 90, 91, 400].map(bucketOf)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
  })

  it('counts calendar days', () => {
    expect(dayNumber('1970-01-02')).toBe(1)
    expect(dayNumber('2026-03-01')! - dayNumber('2026-02-01')!).toBe(28)
    expect(dayNumber('2026-13-01')).toBe(null)
    expect(addDays('2026-01-31', 30)).toBe('2026-03-02')
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29')
  })

  it('sums the amount due of open invoices per currency and bucket', () => {
    const rows = aging([
      { state: 'sent', due_date: '2026-04-10', amount_due: 1000, currency: 'EUR' }, // not yet due
      { state: 'overdue', due_date: '2026-04-01', amount_due: 250, currency: 'EUR' }, // 9 days
      { state: 'partially_paid', due_date: '2026-02-01', amount_due: 300, currency: 'EUR' }, // 68 days
      { state: 'overdue', due_date: '2025-12-01', amount_due: 5000, currency: 'JPY' }, // 130 days
      { state: 'paid', due_date: '2026-01-01', amount_due: 0, currency: 'EUR' },
      { state: 'draft', due_date: '2026-01-01', amount_due: 900, currency: 'EUR' },
      { state: 'void', due_date: '2026-01-01', amount_due: 900, currency: 'EUR' }
    ], '2026-04-10')
    expect(rows).toEqual([
      { currency: 'EUR', buckets: [1000n, 250n, 0n, 300n, 0n], total: 1550n, counts: [1, 1, 0, 1, 0] },
      { currency: 'JPY', buckets: [0n, 0n, 0n, 0n, 5000n], total: 5000n, counts: [0, 0, 0, 0, 1] }
    ])
  })
})

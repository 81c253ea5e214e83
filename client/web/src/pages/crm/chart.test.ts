import { describe, expect, it } from 'vitest'
import type { ForecastBucket } from './api'
import { axisFor, axisLabel, layoutBars, monthLabel, niceStep, ownerShare } from './chart'

const bucket = (month: string | null, owners: Record<string, number>): ForecastBucket => ({
  month,
  weighted: Object.values(owners).reduce((a, b) => a + b, 0),
  amount: 0,
  deals: Object.keys(owners).length,
  owners: Object.entries(owners).map(([user, weighted]) => ({ user, weighted, amount: 0, deals: 1 }))
})

describe('the value axis', () => {
  it('steps by 1, 2, 2.5 or 5 × a power of ten, in whole minor units', () => {
    expect(niceStep(68_500)).toBe(100_000)
    expect(niceStep(12)).toBe(20)
    expect(niceStep(2.2)).toBe(5)
    expect(niceStep(240)).toBe(250)
    expect(niceStep(0.3)).toBe(1)
    expect(niceStep(1)).toBe(1)
  })
  it('reaches at least the largest value', () => {
    expect(axisFor(274_000)).toEqual({ max: 300_000, step: 100_000, ticks: [0, 100_000, 200_000, 300_000] })
    expect(axisFor(100_000)).toEqual({ max: 100_000, step: 25_000, ticks: [0, 25_000, 50_000, 75_000, 100_000] })
    expect(axisFor(3)).toEqual({ max: 3, step: 1, ticks: [0, 1, 2, 3] })
    expect(axisFor(0)).toEqual({ max: 1, step: 1, ticks: [0] })
  })
  it('labels ticks and months', () => {
    expect(axisLabel('EUR 2,500.00')).toBe('EUR 2,500')
    expect(axisLabel('EUR 12.50')).toBe('EUR 12.50')
    expect(axisLabel('JPY 300')).toBe('JPY 300')
    expect(monthLabel('2026-05')).toBe('May 2026')
    expect(monthLabel(null)).toBe('No date')
  })
})

describe('the bars', () => {
  it('stacks each month’s owners bottom up in the given order, scaled to the axis', () => {
    const buckets = [bucket('2026-05', { ann: 250_000, bob: 50_000 }), bucket('2026-06', { bob: 100_000 }), bucket(null, {})]
    expect(ownerShare(buckets[1], 'ann')).toBe(0)
    const axis = axisFor(300_000)
    const box = { width: 400, height: 200, left: 70, right: 10, top: 10, bottom: 30 }
    const { bars, ticks, baseline } = layoutBars(buckets, ['ann', 'bob'], box, axis)
    expect(baseline).toBe(170)
    expect(ticks.map((t) => t.y)).toEqual([170, 116.67, 63.33, 10])
    // Three bands of 320/3 px; bars 60 % of a band (capped at 56 px), centred.
    expect(bars.map((b) => b.centre)).toEqual([123.33, 230, 336.67])
    expect(bars[0].width).toBe(56)
    expect(bars.map((b) => b.label)).toEqual(['May 2026', 'Jun 2026', 'No date'])
    expect(bars[0].segments).toEqual([
      { owner: 'ann', value: 250_000, y: 36.67, height: 133.33 },
      { owner: 'bob', value: 50_000, y: 10, height: 26.67 }
    ])
    expect(bars[0].top).toBe(10)
    expect(bars[1].segments).toEqual([{ owner: 'bob', value: 100_000, y: 116.67, height: 53.33 }])
    expect(bars[2].segments).toEqual([])
    expect(bars[2].top).toBe(170)
  })
})

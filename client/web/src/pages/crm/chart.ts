// The forecast chart's arithmetic, kept apart from the SVG that draws it: a value axis of round
// steps (1, 2, 2.5 or 5 × a power of ten, in minor units), month labels, and the bars — one per
// month, stacked by owner in a fixed owner order — laid out in a box. Pure, so tested without a
// browser.
import type { ForecastBucket } from './api'

/** The round step at or above `raw`: 1, 2, 2.5 or 5 × 10ⁿ, never below 1 (one minor unit). */
export function niceStep (raw: number): number {
  if (!(raw > 1)) return 1
  const power = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 2.5, 5, 10]) {
    const step = m * power
    // 2.5 × 1 is not a whole number of minor units.
    if (step >= raw && Number.isInteger(step)) return step
  }
  return 10 * power
}

export interface Axis { max: number, step: number, ticks: number[] }

/** A value axis from 0 to at least `max` in about `count` round steps. */
export function axisFor (max: number, count = 4): Axis {
  if (!(max > 0)) return { max: 1, step: 1, ticks: [0] }
  const step = niceStep(max / count)
  const top = Math.ceil(max / step) * step
  const ticks: number[] = []
  for (let v = 0; v <= top; v += step) ticks.push(v)
  return { max: top, step, ticks }
}

/** `2026-05` → "May 2026"; no month → "No date". */
export function monthLabel (month: string | null | undefined): string {
  if (!month) return 'No date'
  const m = /^(\d{4})-(\d{2})$/.exec(month)
  if (!m) return month
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1))
  return d.toLocaleString('en', { month: 'short', year: 'numeric', timeZone: 'UTC' })
}

/** The weighted amount of `owner` in `bucket` (0 when they have no deal there). */
export function ownerShare (bucket: ForecastBucket, owner: string): number {
  return bucket.owners.find((o) => o.user === owner)?.weighted ?? 0
}

export interface Box { width: number, height: number, left: number, right: number, top: number, bottom: number }

export interface Segment { owner: string, value: number, y: number, height: number }
export interface Bar { label: string, month: string | null, total: number, x: number, width: number, centre: number, top: number, segments: Segment[] }
export interface Tick { value: number, y: number }

const round = (n: number) => Math.round(n * 100) / 100

/**
 * Bars for `buckets` (one per month) inside `box`, values scaled to `axis.max`: each bar a stack
 * of its owners' shares in `owners` order, bottom up (owners without a share take no segment).
 */
export function layoutBars (buckets: ForecastBucket[], owners: string[], box: Box, axis: Axis): { bars: Bar[], ticks: Tick[], baseline: number } {
  const plotW = box.width - box.left - box.right
  const plotH = box.height - box.top - box.bottom
  const baseline = box.top + plotH
  const y = (v: number) => round(baseline - (v / axis.max) * plotH)
  const band = buckets.length ? plotW / buckets.length : plotW
  const barW = round(Math.min(band * 0.6, 56))
  const bars = buckets.map((b, i) => {
    const centre = round(box.left + band * i + band / 2)
    let below = 0
    const segments: Segment[] = []
    for (const owner of owners) {
      const value = ownerShare(b, owner)
      if (value <= 0) continue
      const top = y(below + value)
      segments.push({ owner, value, y: top, height: round(y(below) - top) })
      below += value
    }
    return { label: monthLabel(b.month), month: b.month ?? null, total: b.weighted, x: round(centre - barW / 2), width: barW, centre, top: y(b.weighted), segments }
  })
  return { bars, ticks: axis.ticks.map((value) => ({ value, y: y(value) })), baseline }
}

/** An axis label: major units without a zero fraction ("EUR 2,500", "EUR 12.50"). */
export function axisLabel (formatted: string): string {
  return formatted.replace(/\.0+$/, '')
}

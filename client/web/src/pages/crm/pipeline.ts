// The pure rules of the pipeline board: deals grouped into a column per stage (the deal type's
// workflow states, in order), each column's totals per currency, which workflow step a drop
// onto another stage takes (or why none may), where the arrow keys take a picked-up card, and
// how a deal from an answer or an event is merged into the board. Tested without a browser.
import type { AvailableTransition, RecordType } from '../../lib/types'
import type { Deal } from './api'
import { totalsByCurrency, type MoneyTotal } from './totals'

const LABELS: Record<string, string> = {
  lead: 'Lead',
  qualified: 'Qualified',
  proposal: 'Proposal',
  negotiation: 'Negotiation',
  won: 'Won',
  lost: 'Lost'
}

/** A stage's name for people: "negotiation" → "Negotiation". */
export function stageLabel (stage: string | null | undefined): string {
  if (!stage) return '—'
  const known = LABELS[stage]
  if (known) return known
  const words = stage.replace(/_/g, ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

/** The stages of the deal type, in workflow order. */
export function stagesOf (type: Pick<RecordType, 'workflow'>): string[] {
  return type.workflow?.states.map((s) => s.name) ?? []
}

/** Cards in a column: soonest expected close first (undated last), then by name. */
export function byClose (a: Deal, b: Deal): number {
  const x = a.expected_close ?? ''
  const y = b.expected_close ?? ''
  if (x !== y) {
    if (!x) return 1
    if (!y) return -1
    return x < y ? -1 : 1
  }
  return a.name.localeCompare(b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export interface StageColumn { stage: string, deals: Deal[], totals: MoneyTotal[] }

/** A column per stage, in order, with its deals sorted and its totals; deals in a state the
 * workflow no longer has are left out (`others` counts them). */
export function columnsOf (stages: string[], deals: Deal[]): { columns: StageColumn[], others: number } {
  const by = new Map<string, Deal[]>(stages.map((s) => [s, []]))
  let others = 0
  for (const d of deals) {
    const list = d.state ? by.get(d.state) : undefined
    if (list) list.push(d)
    else others += 1
  }
  const columns = stages.map((stage) => {
    const list = by.get(stage)!.sort(byClose)
    return { stage, deals: list, totals: totalsByCurrency(list) }
  })
  return { columns, others }
}

/** The deal's owner: its assignee, else whoever created it (as the forecast counts it). */
export function ownerOf (deal: Deal): string {
  return deal.assignee || deal.created_by
}

/** What a drop onto stage `to` does: the step to take, or why nothing happens. */
export type Step =
  | { ok: true, action: string }
  | { ok: false, reason: 'same' | 'none' | string }

/** The workflow step from the deal's stage to `to`, by the server's list of steps out of it
 * (`GET /records/{id}/transitions`): one that is allowed, else the reason of one that is not,
 * else `none` (no step leads there). */
export function stepTo (steps: AvailableTransition[], from: string | null | undefined, to: string): Step {
  if (from === to) return { ok: false, reason: 'same' }
  const leading = steps.filter((s) => s.to === to)
  const allowed = leading.find((s) => s.allowed)
  if (allowed) return { ok: true, action: allowed.action }
  if (leading.length) return { ok: false, reason: leading[0].reason ?? 'unavailable' }
  return { ok: false, reason: 'none' }
}

const WHY: Record<string, string> = {
  permission: 'you may not move this deal',
  role: 'none of your roles may take that step',
  self_approval: 'the person who created the deal may not take that step',
  condition: 'the deal does not meet that step’s condition',
  unavailable: 'that step is not available from here'
}

/** Why a deal was not moved, as one sentence (the card stays where it was). */
export function refusalText (deal: string, from: string | null | undefined, to: string, reason: string): string {
  const stays = `“${deal}” stays in ${stageLabel(from)}.`
  if (reason === 'none') return `No workflow step leads from ${stageLabel(from)} to ${stageLabel(to)}: ${stays}`
  return `Not moved to ${stageLabel(to)}: ${WHY[reason] ?? reason}. ${stays}`
}

/** The stage the left or right arrow takes a picked-up card to, or null at the board's edge. */
export function nextStage (stages: string[], current: string, key: 'ArrowLeft' | 'ArrowRight'): string | null {
  const i = stages.indexOf(current)
  if (i < 0) return null
  return stages[i + (key === 'ArrowLeft' ? -1 : 1)] ?? null
}

/** `deal` shown in `stage` (a drop waiting for the server's answer). */
export function placeDeal (deals: Deal[], id: string, stage: string): Deal[] {
  return deals.map((d) => d.id === id ? { ...d, state: stage } : d)
}

/**
 * `next` (an answer or an event) merged into `deals`: a new deal is added, a newer version
 * replaces the one shown, an older or equal one is ignored. The reader keeps their own `can`
 * (an event carries its author's).
 */
export function mergeDeal (deals: Deal[], next: Deal): Deal[] {
  const i = deals.findIndex((d) => d.id === next.id)
  if (i < 0) return [...deals, next]
  const cur = deals[i]
  if (next.version <= cur.version) return deals
  const out = [...deals]
  out[i] = { ...next, can: cur.can }
  return out
}

/** A refused move undone: `before` shown again, unless a newer version arrived meanwhile. */
export function rollbackDeal (deals: Deal[], before: Deal): Deal[] {
  return deals.map((d) => d.id === before.id && d.version === before.version ? before : d)
}

/** `id` taken off the board (deleted). */
export function removeDeal (deals: Deal[], id: string): Deal[] {
  return deals.filter((d) => d.id !== id)
}

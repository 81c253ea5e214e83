import { describe, expect, it } from 'vitest'
import type { AvailableTransition } from '../../lib/types'
import type { Deal } from './api'
import { columnsOf, mergeDeal, nextStage, ownerOf, placeDeal, refusalText, removeDeal, rollbackDeal, stageLabel, stagesOf, stepTo } from './pipeline'
import { owedByCurrency, totalsByCurrency } from './totals'

const STAGES = ['lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost']

function deal (id: string, state: string, amount: number | null, currency: string, close: string | null = null, extra: Partial<Deal> = {}): Deal {
  return { id, type: 'deal', name: `Deal ${id}`, version: 1, state, created_by: 'creator', created_at: 0, updated_at: 0, can: { read: true } as any, amount, currency, expected_close: close, ...extra } as Deal
}

describe('pipeline columns', () => {
  it('reads the stages in workflow order', () => {
    expect(stagesOf({ workflow: { states: STAGES.map((name) => ({ name })), transitions: [] } as any })).toEqual(STAGES)
    expect(stagesOf({ workflow: null })).toEqual([])
  })

  it('groups deals by stage, soonest close first and undated last, and counts strays', () => {
    const deals = [
      deal('a', 'lead', 1000, 'EUR', '2026-06-01'),
      deal('b', 'qualified', 500, 'EUR'),
      deal('c', 'lead', 2500, 'EUR', null),
      deal('d', 'lead', 700, 'USD', '2026-05-20'),
      deal('e', 'archived', 1, 'EUR')
    ]
    const { columns, others } = columnsOf(STAGES, deals)
    expect(columns.map((c) => c.stage)).toEqual(STAGES)
    expect(columns[0].deals.map((d) => d.id)).toEqual(['d', 'a', 'c'])
    expect(columns[1].deals.map((d) => d.id)).toEqual(['b'])
    expect(columns[5].deals).toEqual([])
    expect(others).toBe(1)
    expect(columns[0].totals).toEqual([{ currency: 'EUR', amount: 3500, count: 2 }, { currency: 'USD', amount: 700, count: 1 }])
    expect(columns[5].totals).toEqual([])
  })

  it('totals per currency in minor units, codes upper-cased, deals without an amount left out', () => {
    expect(totalsByCurrency([deal('a', 'lead', 1999, 'jpy'), deal('b', 'lead', 1, 'JPY'), deal('c', 'lead', null, 'EUR'), deal('d', 'lead', 5, 'CHF')]))
      .toEqual([{ currency: 'CHF', amount: 5, count: 1 }, { currency: 'JPY', amount: 2000, count: 2 }])
  })

  it('sums what open invoices still owe, per currency', () => {
    expect(owedByCurrency([
      { state: 'sent', amount_due: 15000, currency: 'EUR' },
      { state: 'partially_paid', amount_due: 500, currency: 'eur' },
      { state: 'overdue', amount_due: 7, currency: 'USD' },
      { state: 'draft', amount_due: 99999, currency: 'EUR' },
      { state: 'paid', amount_due: 0, currency: 'EUR' },
      { state: 'void', amount_due: 1000, currency: 'USD' }
    ])).toEqual([{ currency: 'EUR', amount: 15500, count: 2 }, { currency: 'USD', amount: 7, count: 1 }])
  })

  it('names the owner as the forecast does', () => {
    expect(ownerOf(deal('a', 'lead', 1, 'EUR', null, { assignee: 'ann' }))).toBe('ann')
    expect(ownerOf(deal('a', 'lead', 1, 'EUR'))).toBe('creator')
  })
})

describe('moving a deal', () => {
  const steps: AvailableTransition[] = [
    { action: 'qualify', to: 'qualified', allowed: true },
    { action: 'win', to: 'won', allowed: false, reason: 'role' },
    { action: 'fast_win', to: 'won', allowed: false, reason: 'condition', field: 'amount' }
  ]
  it('takes the allowed step that leads to the stage', () => {
    expect(stepTo(steps, 'lead', 'qualified')).toEqual({ ok: true, action: 'qualify' })
    expect(stepTo([...steps, { action: 'close', to: 'won', allowed: true }], 'lead', 'won')).toEqual({ ok: true, action: 'close' })
  })
  it('refuses a drop no step leads to, one the caller may not take, and one onto its own stage', () => {
    expect(stepTo(steps, 'lead', 'lost')).toEqual({ ok: false, reason: 'none' })
    expect(stepTo(steps, 'lead', 'won')).toEqual({ ok: false, reason: 'role' })
    expect(stepTo(steps, 'lead', 'lead')).toEqual({ ok: false, reason: 'same' })
    expect(refusalText('Relaunch', 'lead', 'lost', 'none')).toBe('No workflow step leads from Lead to Lost: “Relaunch” stays in Lead.')
    expect(refusalText('Relaunch', 'lead', 'won', 'permission')).toBe('Not moved to Won: you may not move this deal. “Relaunch” stays in Lead.')
  })
  it('moves a picked-up card one stage per arrow key, not past the edges', () => {
    expect(nextStage(STAGES, 'lead', 'ArrowRight')).toBe('qualified')
    expect(nextStage(STAGES, 'lead', 'ArrowLeft')).toBeNull()
    expect(nextStage(STAGES, 'lost', 'ArrowRight')).toBeNull()
    expect(nextStage(STAGES, 'won', 'ArrowLeft')).toBe('negotiation')
    expect(nextStage(STAGES, 'gone', 'ArrowLeft')).toBeNull()
  })
  it('labels stages', () => {
    expect(stageLabel('negotiation')).toBe('Negotiation')
    expect(stageLabel('on_hold')).toBe('On hold')
    expect(stageLabel(null)).toBe('—')
  })
})

describe('merging deals', () => {
  it('places, merges newer versions keeping the reader’s can, rolls back only what nothing replaced', () => {
    const mine = { read: true, transition: true } as any
    const a = deal('a', 'lead', 100, 'EUR', null, { can: mine })
    let deals = [a, deal('b', 'won', 5, 'EUR')]
    deals = placeDeal(deals, 'a', 'qualified')
    expect(deals[0].state).toBe('qualified')
    // An event of the same version (our own optimistic copy is no older) changes nothing.
    expect(mergeDeal(deals, a)).toBe(deals)
    const theirs = { ...a, state: 'qualified', version: 2, probability: '25', can: { read: true } as any }
    const merged = mergeDeal(deals, theirs)
    expect(merged[0]).toMatchObject({ state: 'qualified', version: 2, probability: '25' })
    expect(merged[0].can).toBe(mine)
    // The refusal arrives after the newer version: nothing to undo.
    expect(rollbackDeal(merged, a)[0].version).toBe(2)
    expect(rollbackDeal(deals, a)[0].state).toBe('lead')
    expect(mergeDeal(deals, deal('c', 'lead', 1, 'EUR')).map((d) => d.id)).toEqual(['a', 'b', 'c'])
    expect(removeDeal(deals, 'a').map((d) => d.id)).toEqual(['b'])
  })
})

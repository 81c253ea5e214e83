import { describe, expect, it } from 'vitest'
import type { FieldDef } from '../../lib/types'
import { fromInput, historyChange, parseDuration, toInput } from './values'

const lines: FieldDef = { name: 'lines', type: 'table', fields: [{ name: 'item', type: 'text' }, { name: 'amount', type: 'money' }] }
const fields: FieldDef[] = [{ name: 'budget', type: 'money', label: 'Budget' }, lines]

describe('values', () => {
  it('reads durations, integers and decimals by their type', () => {
    expect(parseDuration('1:30')).toEqual({ ok: true, value: 5400 })
    expect(parseDuration('1h 15m')).toEqual({ ok: true, value: 4500 })
    expect(parseDuration('90')).toEqual({ ok: true, value: 5400 })
    expect(parseDuration('soon').ok).toBe(false)
    expect(fromInput({ name: 'n', type: 'integer' }, '1.5').ok).toBe(false)
    expect(fromInput({ name: 'n', type: 'number' }, '12.50')).toEqual({ ok: true, value: '12.50' })
    expect(fromInput({ name: 'n', type: 'number' }, '1e3').ok).toBe(false)
    expect(toInput({ name: 'd', type: 'duration' }, 5400)).toBe('1:30')
  })

  it('shows history changes by the field type, child rows by their cells', () => {
    expect(historyChange(fields, 'budget', 125050, 'EUR')).toEqual({ label: 'Budget', text: 'EUR 1,250.50' })
    expect(historyChange(fields, 'lines[01ab]', { id: '01ab', item: 'Hotel', amount: 12000 }, 'EUR')).toEqual({ label: 'Lines row', text: 'Item: Hotel, Amount: EUR 120.00' })
    expect(historyChange(fields, 'lines[01ab].amount', 990, 'EUR')).toEqual({ label: 'Lines › Amount', text: 'EUR 9.90' })
    expect(historyChange(fields, 'lines[01ab]', null, 'EUR')).toEqual({ label: 'Lines row', text: '—' })
    expect(historyChange(fields, 'state', 'draft', 'EUR')).toEqual({ label: 'State', text: 'draft' })
  })
})

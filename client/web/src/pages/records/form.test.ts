import { describe, expect, it } from 'vitest'
import type { BizRecord, FieldDef } from '../../lib/types'
import { formValues, move, newRow, toWire } from './form'

const fields: FieldDef[] = [
  { name: 'code', type: 'text', required: true },
  { name: 'fee', type: 'money' },
  { name: 'urgent', type: 'boolean' },
  { name: 'tags', type: 'multi_select', options: ['a', 'b'] },
  { name: 'total', type: 'money', computed: { sum: 'lines.amount' } },
  {
    name: 'lines',
    type: 'table',
    fields: [
      { name: 'item', type: 'text' },
      { name: 'qty', type: 'number', default: '1' as any },
      { name: 'amount', type: 'money' }
    ]
  }
]

describe('record form', () => {
  it('shows a record in its inputs and sends it back in the stored form', () => {
    const record = { id: 'r1', type: 'order', name: 'ORD-1', version: 3, created_by: 'u', created_at: 0, updated_at: 0, can: {} as any, code: 'AB-1', fee: 123450, urgent: true, tags: ['b'], total: 500, lines: [{ id: 'l1', item: 'Bolt', qty: '2', amount: 500 }] } as unknown as BizRecord
    const values = formValues(fields, record, 'EUR')
    expect(values.fee).toBe('1234.50')
    expect((values.lines as any[])[0]).toMatchObject({ id: 'l1', item: 'Bolt', qty: '2', amount: '5.00' })
    const { data, errors } = toWire(fields, values, 'EUR', false)
    expect(errors).toEqual({})
    expect(data).toEqual({ code: 'AB-1', fee: 123450, urgent: true, tags: ['b'], lines: [{ id: 'l1', item: 'Bolt', qty: '2', amount: 500 }] })
  })

  it('names a bad value by its path, and leaves empty fields out of a new record', () => {
    const values = formValues(fields, null, 'EUR')
    const row = newRow(fields[5].fields!, 'EUR')
    expect(row.qty).toBe('1')
    values.lines = [row, { ...newRow(fields[5].fields!, 'EUR'), amount: '1.234' }]
    values.code = 'AB-2'
    const { data, errors } = toWire(fields, values, 'EUR', true)
    expect(errors).toEqual({ 'lines[1].amount': 'must have at most 2 decimal places' })
    expect(data.fee).toBeUndefined()
    expect(toWire(fields, { ...values, lines: [] }, 'EUR', false).data.fee).toBeNull()
  })

  it('moves rows', () => {
    expect(move([1, 2, 3], 0, 1)).toEqual([2, 1, 3])
    expect(move([1, 2, 3], 2, 3)).toEqual([1, 2, 3])
  })
})

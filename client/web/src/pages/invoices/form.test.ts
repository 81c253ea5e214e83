import { describe, expect, it } from 'vitest'
import type { Invoice } from './api'
import { formOf, newForm, parseDays, sameFigures, splitAddresses, toWire, type InvoiceForm } from './form'

const row = (p: Partial<InvoiceForm['lines'][number]>) => ({ _key: 'k', description: 'Work', quantity: '1', unit_price: '10', discount: '', tax_rate: '', tax_code: '', ...p })

const saved = {
  id: 'i1', type: 'invoice', name: 'Draft-1', version: 3, state: 'draft', created_at: 0, created_by: 'u', updated_at: 0,
  can: { create: true, delete: true, export: true, import: true, read: true, transition: true, write: true },
  client: 'c1', currency: 'JPY', issue_date: '2026-04-01', due_date: '2026-05-01', tax_scheme: 'standard',
  lines: [{ id: 'r1', description: 'Tea', quantity: '3', unit_price: 333, tax_rate: '10', amount: 999 }],
  subtotal: 999, discount_total: 0, tax_total: 100, total: 1099, amount_paid: 0, amount_due: 1099, taxes: [{ label: 'Tax 10%', rate: '10', taxable: 999, amount: 100 }]
} as unknown as Invoice

describe('invoice form', () => {
  it('sends exact values: decimals as normalized text, prices in minor units', () => {
    const f: InvoiceForm = { ...newForm('2026-04-01'), client: 'c1', currency: 'eur', lines: [row({ quantity: '0.50', unit_price: '1,234.5', discount: '10.0', tax_rate: '19', tax_code: ' 998391 ' })] }
    const { data, errors } = toWire(f, true)
    expect(errors).toEqual({})
    expect(data).toEqual({ client: 'c1', currency: 'EUR', issue_date: '2026-04-01', tax_scheme: 'standard', lines: [{ description: 'Work', quantity: '0.5', unit_price: 123450, discount: '10', tax_rate: '19', tax_code: '998391' }] })
  })

  it('clears emptied fields of a saved invoice and keeps line ids', () => {
    const f = formOf(saved)
    expect(f.lines[0]).toMatchObject({ id: 'r1', quantity: '3', unit_price: '333', tax_rate: '10' })
    const { data } = toWire({ ...f, reference: '', due_date: '' }, false)
    expect(data).toMatchObject({ reference: null, due_date: null, notes: null, lines: [{ id: 'r1', unit_price: 333 }] })
  })

  it('names faults at the paths the server uses', () => {
    const f: InvoiceForm = { ...newForm('2026-04-01'), currency: 'EURO', tax_scheme: 'gst', seller_state: '27', client_state: '7', lines: [row({}), row({ unit_price: '1.5', quantity: '' })] }
    const { errors } = toWire(f, true)
    expect(errors).toEqual({
      client: 'is required',
      currency: 'must be a three-letter currency code such as EUR',
      client_state: 'must be a two-digit GST state code such as "27" under GST',
      'lines[1].quantity': 'is required'
    })
    // The unit price is read in the invoice's currency: JPY has no decimals.
    expect(toWire({ ...f, currency: 'JPY', client: 'c', client_state: '29' }, true).errors).toEqual({ 'lines[1].quantity': 'is required', 'lines[1].unit_price': 'must be a whole amount in this currency' })
  })

  it('checks the server’s figures against its own', () => {
    expect(sameFigures(saved)).toBe(true)
    expect(sameFigures({ ...saved, tax_total: 99, total: 1098 } as Invoice)).toBe(false)
  })

  it('reads addresses and reminder days as typed', () => {
    expect(splitAddresses(' a@x.example, b@y.example;c@z.example ')).toEqual(['a@x.example', 'b@y.example', 'c@z.example'])
    expect(splitAddresses('')).toEqual([])
    expect(parseDays('3, 7 14')).toEqual({ ok: true, value: [3, 7, 14] })
    expect(parseDays('')).toEqual({ ok: true, value: [] })
    expect(parseDays('3, soon').ok).toBe(false)
  })
})

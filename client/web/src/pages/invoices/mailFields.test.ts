import { describe, expect, it } from 'vitest'
import { INVOICE_MAIL_FIELDS, REMINDER_MAIL_FIELDS, sampleFields } from './mailFields'

describe('invoice mail fields', () => {
  it('gives a reminder how late it is, and an invoice the sender’s message', () => {
    expect(REMINDER_MAIL_FIELDS).toEqual(expect.arrayContaining([...INVOICE_MAIL_FIELDS, 'days_overdue']))
    expect(INVOICE_MAIL_FIELDS).not.toContain('days_overdue')
    expect(sampleFields('reminder', 'Acme', []).days_overdue).toBe(7)
    expect(sampleFields('invoice', 'Acme', []).days_overdue).toBeUndefined()
  })

  it('fills the sample with the org’s seller and its complete payment details, one line each', () => {
    const fields = sampleFields('invoice', '  ', [{ label: 'IBAN', value: 'DE89 3704' }, { label: 'BIC', value: ' ' }, { label: ' SWIFT ', value: 'COBADEFF' }])
    expect(fields.seller).toBe('Your organisation')
    expect(fields.payment_details).toBe('IBAN: DE89 3704\nSWIFT: COBADEFF')
    for (const name of INVOICE_MAIL_FIELDS) expect(fields, name).toHaveProperty(name)
  })
})

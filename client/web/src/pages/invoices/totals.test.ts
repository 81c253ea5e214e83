import { describe, expect, it } from 'vitest'
import { computeFigures, currencyDigits, decText, figuresOf, formatMinor, minorText, parseDecimal, parseMinor, readLine, roundDiv, type Dec, type LineInput, type LineText, type TaxScheme } from './totals'

const dec = (t: string): Dec => {
  const p = parseDecimal(t)
  if (!p.ok || !p.value) throw new Error(`not a decimal: ${t}`)
  return p.value
}
const line = (quantity: string, unitPrice: number | bigint, discount = '0', taxRate = '0'): LineInput =>
  ({ quantity: dec(quantity), unitPrice: BigInt(unitPrice), discount: dec(discount), taxRate: dec(taxRate) })
const text = (p: Partial<LineText>): LineText => ({ description: 'Work', quantity: '1', unit_price: '', discount: '', tax_rate: '', tax_code: '', ...p })
const standard: TaxScheme = { kind: 'standard' }
const within: TaxScheme = { kind: 'gst', sellerState: '27', clientState: '27' }
const across: TaxScheme = { kind: 'gst', sellerState: '27', clientState: '29' }

describe('invoice money math', () => {
  it('rounds half up on whole minor units', () => {
    expect(roundDiv(5025n, 10n)).toBe(503n)
    expect(roundDiv(5024n, 10n)).toBe(502n)
    expect(roundDiv(15n, 10n)).toBe(2n)
    expect(roundDiv(14n, 10n)).toBe(1n)
    expect(roundDiv(-15n, 10n)).toBe(-2n)
    expect(roundDiv(0n, 7n)).toBe(0n)
  })

  it('0.5 × EUR 10.05 is EUR 5.03 (5.025 rounded half up)', () => {
    const { figures } = figuresOf([text({ quantity: '0.5', unit_price: '10.05' })], 'EUR', standard)
    expect(figures.lines[0].amount).toBe(503n)
    expect(figures.total).toBe(503n)
    expect(formatMinor(figures.total, 'EUR')).toBe('EUR 5.03')
  })

  it('follows the rule in order: amount, discount, taxable, tax', () => {
    // 3 × 19.99 = 59.97; 10 % off = 6.00 (5.997); taxable 53.97; 20 % VAT = 10.79 (10.794).
    const f = computeFigures([line('3', 1999, '10', '20')], standard)
    expect(f.lines[0]).toMatchObject({ amount: 5997n, discount: 600n, taxable: 5397n, tax: 1079n, total: 6476n })
    expect(f).toMatchObject({ subtotal: 5997n, discount: 600n, taxable: 5397n, tax: 1079n, total: 6476n })
    expect(f.taxes).toEqual([{ label: 'Tax 20%', rate: '20', taxable: 5397n, amount: 1079n }])
  })

  it('sums rounded lines, so the columns add up (not the rounded sum of exact lines)', () => {
    // Three lines of 0.333 × 1.00 are 0.33 each (0.333 rounded), 0.99 in all, not 1.00.
    const f = computeFigures([line('0.333', 100), line('0.333', 100), line('0.333', 100)], standard)
    expect(f.subtotal).toBe(99n)
  })

  it('JPY has no minor unit: prices are whole yen, tax rounds to the yen', () => {
    expect(currencyDigits('JPY')).toBe(0)
    expect(parseMinor('1,500', 0)).toEqual({ ok: true, value: 1500n })
    expect(parseMinor('1500.5', 0)).toEqual({ ok: false, error: 'must be a whole amount in this currency' })
    // 3 × ¥333 = ¥999; consumption tax 10 % = ¥99.9 → ¥100.
    const { figures } = figuresOf([text({ quantity: '3', unit_price: '333', tax_rate: '10' })], 'JPY', standard)
    expect(figures.tax).toBe(100n)
    expect(figures.total).toBe(1099n)
    expect(formatMinor(figures.total, 'JPY')).toBe('JPY 1,099')
  })

  it('KWD has three decimals (fils)', () => {
    expect(currencyDigits('KWD')).toBe(3)
    expect(parseMinor('1.005', 3)).toEqual({ ok: true, value: 1005n })
    expect(parseMinor('1.0005', 3).ok).toBe(false)
    // 1.5 × KWD 1.005 = 1.5075 → 1.508; 5 % = 0.0754 → 0.075.
    const { figures } = figuresOf([text({ quantity: '1.5', unit_price: '1.005', tax_rate: '5' })], 'KWD', standard)
    expect(figures.lines[0].amount).toBe(1508n)
    expect(figures.tax).toBe(75n)
    expect(formatMinor(figures.total, 'KWD')).toBe('KWD 1.583')
  })

  it('GST within a state: CGST and SGST at half the rate, each rounded on its own', () => {
    // ₹0.50 at 5 %: CGST 2.5 % = 1.25 paise → 1, SGST likewise → 1; IGST across states 2.5 → 3.
    const f = computeFigures([line('1', 50, '0', '5')], within)
    expect(f.lines[0].taxes.map((t) => [t.kind, decText(t.rate), t.amount])).toEqual([['CGST', '2.5', 1n], ['SGST', '2.5', 1n]])
    expect(f.tax).toBe(2n)
    expect(f.taxes).toEqual([
      { label: 'CGST 2.5%', rate: '2.5', taxable: 50n, amount: 1n },
      { label: 'SGST 2.5%', rate: '2.5', taxable: 50n, amount: 1n }
    ])
    const g = computeFigures([line('1', 50, '0', '5')], across)
    expect(g.lines[0].taxes.map((t) => [t.kind, decText(t.rate), t.amount])).toEqual([['IGST', '5', 3n]])
    expect(g.taxes).toEqual([{ label: 'IGST 5%', rate: '5', taxable: 50n, amount: 3n }])
  })

  it('the example of atrium-invoicing: 1.5 h × ₹2,000 at 18 % within a state is ₹3,540.00', () => {
    const { figures } = figuresOf([text({ quantity: '1.5', unit_price: '2000', tax_rate: '18', tax_code: '998391' })], 'INR', within)
    expect(figures.total).toBe(354000n)
    expect(figures.taxes.map((t) => t.label)).toEqual(['CGST 9%', 'SGST 9%'])
  })

  it('summarises tax per rate, lowest first, leaving zero rates out', () => {
    const f = computeFigures([line('1', 1000, '0', '20'), line('1', 500, '0', '5.5'), line('2', 300, '0', '0'), line('1', 1000, '0', '20.00')], standard)
    expect(f.taxes.map((t) => [t.label, t.taxable, t.amount])).toEqual([['Tax 5.5%', 500n, 28n], ['Tax 20%', 2000n, 400n]])
  })

  it('is exact where floating point is not', () => {
    // 0.1 + 0.2 style traps: 3 × 0.10 is 0.30; 1.005 × 1000 is 1005.
    expect(computeFigures([line('3', 10)], standard).total).toBe(30n)
    expect(computeFigures([line('1.005', 1000)], standard).total).toBe(1005n)
    // Amounts beyond 2^53 stay exact.
    const big = computeFigures([line('1000000000', 999_999_999_999n)], standard)
    expect(big.total).toBe(999_999_999_999_000_000_000n)
    expect(minorText(big.total, 2)).toBe('9999999999990000000.00')
  })

  it('reads decimals as typed', () => {
    expect(parseDecimal('1.50')).toEqual({ ok: true, value: { units: 15n, scale: 1 } })
    expect(parseDecimal('.25')).toEqual({ ok: true, value: { units: 25n, scale: 2 } })
    expect(parseDecimal('3.')).toEqual({ ok: true, value: { units: 3n, scale: 0 } })
    expect(parseDecimal('')).toEqual({ ok: true, value: null })
    expect(parseDecimal('-1').ok).toBe(false)
    expect(parseDecimal('1e3').ok).toBe(false)
    expect(parseDecimal('.').ok).toBe(false)
    expect(parseDecimal('1,5').ok).toBe(false)
    expect(decText({ units: 50n, scale: 4 })).toBe('0.005')
  })

  it('parses prices in major units exactly', () => {
    expect(parseMinor('1,234.50', 2)).toEqual({ ok: true, value: 123450n })
    expect(parseMinor('0.1', 2)).toEqual({ ok: true, value: 10n })
    expect(parseMinor('.5', 2)).toEqual({ ok: true, value: 50n })
    expect(parseMinor('', 2)).toEqual({ ok: true, value: null })
    expect(parseMinor('1.005', 2)).toEqual({ ok: false, error: 'must have at most 2 decimal places' })
    expect(parseMinor('12,5', 2).ok).toBe(false)
    expect(parseMinor('-1', 2).ok).toBe(false)
  })

  it('reports what the server would refuse, per column, and counts it as zero', () => {
    const r = readLine(text({ description: ' ', quantity: '1.2345', unit_price: '10.001', discount: '120', tax_rate: '7.12345', tax_code: 'no spaces' }), 2)
    expect(r.errors).toEqual({
      description: 'must not be empty',
      quantity: 'has more than 3 decimal places',
      unit_price: 'must have at most 2 decimal places',
      discount: 'must be between 0 and 100',
      tax_rate: 'has more than 4 decimal places',
      tax_code: 'must be 1 to 16 letters or digits (an HSN or SAC code)'
    })
    expect(r.input.unitPrice).toBe(0n)
    expect(readLine(text({ unit_price: '5' }), 2).errors).toEqual({})
  })
})

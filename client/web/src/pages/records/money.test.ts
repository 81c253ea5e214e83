import { describe, expect, it } from 'vitest'
import { currencyDigits, formatMoney, moneyInput, parseMoney } from './money'

describe('money', () => {
  it('knows the fraction digits of currencies', () => {
    expect(currencyDigits('EUR')).toBe(2)
    expect(currencyDigits('JPY')).toBe(0)
    expect(currencyDigits('KWD')).toBe(3)
    expect(currencyDigits('not a code')).toBe(2)
    expect(currencyDigits(undefined)).toBe(2)
  })

  it('parses major units into exact minor units', () => {
    expect(parseMoney('1,234.50', 2)).toEqual({ ok: true, value: 123450 })
    expect(parseMoney('0.1', 2)).toEqual({ ok: true, value: 10 })
    expect(parseMoney('19.99', 2)).toEqual({ ok: true, value: 1999 })
    expect(parseMoney('-5', 2)).toEqual({ ok: true, value: -500 })
    expect(parseMoney('12,5', 2)).toEqual({ ok: true, value: 1250 })
    expect(parseMoney('1.234,56', 2)).toEqual({ ok: true, value: 123456 })
    expect(parseMoney('1,234', 2)).toEqual({ ok: true, value: 123400 })
    expect(parseMoney("1'000", 0)).toEqual({ ok: true, value: 1000 })
    expect(parseMoney('.5', 2)).toEqual({ ok: true, value: 50 })
    expect(parseMoney('  ', 2)).toEqual({ ok: true, value: null })
  })

  it('refuses what is not an amount of the currency', () => {
    expect(parseMoney('1.005', 2).ok).toBe(false)
    expect(parseMoney('1.5', 0).ok).toBe(false)
    expect(parseMoney('abc', 2).ok).toBe(false)
    expect(parseMoney('1e5', 2).ok).toBe(false)
    expect(parseMoney('99999999999999999', 2).ok).toBe(false)
  })

  it('formats minor units without floating point', () => {
    expect(formatMoney(123450, 'EUR')).toBe('EUR 1,234.50')
    expect(formatMoney(-5, 'EUR')).toBe('EUR -0.05')
    expect(formatMoney(1500, 'JPY')).toBe('JPY 1,500')
    expect(formatMoney(9007199254740991, 'EUR')).toBe('EUR 90,071,992,547,409.91')
    expect(moneyInput(123450, 2)).toBe('1234.50')
    expect(moneyInput(7, 3)).toBe('0.007')
  })
})

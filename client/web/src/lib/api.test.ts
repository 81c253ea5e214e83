import { describe, it, expect, vi, afterEach } from 'vitest'
import { request, ApiError, qs, onUnauthorized } from './api'

afterEach(() => { vi.unstubAllGlobals() })

function stubFetch (status: number, body: unknown) {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })))
}

describe('request', () => {
  it('returns JSON and nothing for 204', async () => {
    stubFetch(200, { ok: 1 })
    expect(await request('GET', '/x')).toEqual({ ok: 1 })
    stubFetch(204, undefined)
    expect(await request('POST', '/x', { json: {} })).toBeUndefined()
  })
  it('turns error bodies into ApiError with fields', async () => {
    stubFetch(422, { error: { code: 'validation_failed', message: 'bad', fields: { name: 'required' } } })
    const e = await request('POST', '/x', { json: {} }).catch((e) => e)
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(422)
    expect(e.fields).toEqual({ name: 'required' })
  })
  it('reports network failures as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('failed') }))
    const e = await request('GET', '/x').catch((e) => e)
    expect(e.offline).toBe(true)
  })
  it('tells listeners about an ended session but not about a failed log-in', async () => {
    const seen = vi.fn()
    const off = onUnauthorized(seen)
    stubFetch(401, { error: { code: 'invalid_credentials', message: 'no' } })
    await request('POST', '/login').catch(() => {})
    expect(seen).not.toHaveBeenCalled()
    stubFetch(401, { error: { code: 'unauthorized', message: 'no' } })
    await request('GET', '/me').catch(() => {})
    expect(seen).toHaveBeenCalledTimes(1)
    off()
  })
})

describe('qs', () => {
  it('skips empty values', () => {
    expect(qs({ a: 1, b: '', c: undefined, d: 'x y' })).toBe('?a=1&d=x+y')
    expect(qs({})).toBe('')
  })
})

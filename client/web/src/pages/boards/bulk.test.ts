import { describe, it, expect } from 'vitest'
import { ApiError } from '../../lib/api'
import { bulkErrors } from './bulk'

describe('bulk refusals', () => {
  it('reads per-task reasons from a map, a list or field names', () => {
    expect(bulkErrors(new ApiError(422, 'bulk_refused', 'x', {}, { errors: { t1: 'blocked', t2: { message: 'no such status' } } }))).toEqual({ t1: 'blocked', t2: 'no such status' })
    expect(bulkErrors(new ApiError(422, 'bulk_refused', 'x', {}, { errors: [{ task: 't3', message: 'cycle' }] }))).toEqual({ t3: 'cycle' })
    expect(bulkErrors(new ApiError(422, 'invalid', 'x', { 'tasks.t4': 'not found', name: 'other' }))).toEqual({ t4: 'not found' })
    expect(bulkErrors(new Error('boom'))).toEqual({})
  })
})

import { describe, it, expect } from 'vitest'
import { ApiError } from '../../lib/api'
import { bulkErrors } from './bulk'

describe('bulk refusals', () => {
  it('reads per-task reasons from the body\'s errors (a list or a map) or field names', () => {
    expect(bulkErrors(new ApiError(422, 'bulk_refused', 'x', {}, { errors: { t1: 'blocked', t2: { message: 'no such status' } } }))).toEqual({ t1: 'blocked', t2: 'no such status' })
    expect(bulkErrors(new ApiError(422, 'bulk_refused', 'x', {}, { error: { code: 'validation_failed' }, errors: [{ task: 't3', field: 'status', message: 'unknown status' }, { task: 't5', message: 'cycle' }] }))).toEqual({ t3: 'status: unknown status', t5: 'cycle' })
    expect(bulkErrors(new ApiError(422, 'invalid', 'x', { 'tasks.t4': 'not found', name: 'other' }))).toEqual({ t4: 'not found' })
    expect(bulkErrors(new Error('boom'))).toEqual({})
  })
})

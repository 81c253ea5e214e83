import { describe, it, expect } from 'vitest'
import { match, resolve } from './router'

describe('match', () => {
  it('extracts params and requires the same number of segments', () => {
    expect(match('/o/:org/p/:project/docs', '/o/a/p/b/docs')).toEqual({ org: 'a', project: 'b' })
    expect(match('/o/:org', '/o/a/p')).toBeNull()
    expect(match('/o/:org/p', '/o/a')).toBeNull()
    expect(match('/', '/')).toEqual({})
  })
  it('decodes segments and supports a trailing wildcard', () => {
    expect(match('/d/:id', '/d/a%20b')).toEqual({ id: 'a b' })
    expect(match('/files/*', '/files/x/y')).toEqual({ '*': 'x/y' })
  })
  it('resolves the first matching route', () => {
    const r = resolve([['/o/:org/members', 'members'], ['/o/:org/:x', 'other']], '/o/1/members')
    expect(r?.value).toBe('members')
    expect(resolve([['/a', 1]], '/b')).toBeNull()
  })
})

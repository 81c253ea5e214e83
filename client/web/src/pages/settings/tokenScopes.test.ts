import { describe, it, expect } from 'vitest'
import { describeScopes, scopesOf } from './tokenScopes'

describe('token scopes', () => {
  it('asks for one scope per area given access, in the areas’ order', () => {
    expect(scopesOf({})).toEqual([])
    expect(scopesOf({ chat: 'write', records: 'read', docs: 'none' })).toEqual(['chat:write', 'records:read'])
  })

  it('describes a full token and a limited one in words', () => {
    expect(describeScopes(undefined)).toBe('Full access')
    expect(describeScopes(null)).toBe('Full access')
    expect(describeScopes(['records:read', 'chat:write'])).toBe('Business records: read · Chat: read and write')
    expect(describeScopes(['future:read'])).toBe('future: read')
  })
})

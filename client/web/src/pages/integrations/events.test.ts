import { describe, expect, it } from 'vitest'
import { coveredBy, looksLikePattern, togglePattern } from './events'

describe('event patterns', () => {
  it('keeps * alone and a group instead of its parts', () => {
    expect(togglePattern(['task.created'], '*', true)).toEqual(['*'])
    expect(togglePattern(['*'], 'task.created', true)).toEqual(['task.created'])
    expect(togglePattern(['task.created', 'doc.updated'], 'task.*', true)).toEqual(['doc.updated', 'task.*'])
    expect(togglePattern(['task.*', 'doc.updated'], 'task.*', false)).toEqual(['doc.updated'])
    expect(togglePattern(['record.invoice.*'], 'record.*', true)).toEqual(['record.*'])
  })

  it('says what covers a pattern', () => {
    expect(coveredBy(['*'], 'task.created')).toBe('*')
    expect(coveredBy(['task.*'], 'task.created')).toBe('task.*')
    expect(coveredBy(['task.*'], 'task.*')).toBeNull()
    expect(coveredBy(['record.*'], 'record.invoice.*')).toBe('record.*')
    expect(coveredBy(['doc.*'], 'task.created')).toBeNull()
  })

  it('recognises patterns the server takes', () => {
    for (const ok of ['*', 'task.*', 'record.invoice.*', 'message.created', 'record.work_order.updated']) expect(looksLikePattern(ok)).toBe(true)
    for (const bad of ['', 'task', 'tasks.*', 'task.*.created', 'Task.created', '*.created']) expect(looksLikePattern(bad)).toBe(false)
  })
})

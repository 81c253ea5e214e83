import { describe, expect, it } from 'vitest'
import { BLOCKS, matchBlocks } from './slashItems'

const ids = (q: string, image = true) => matchBlocks(q, image).map((b) => b.id)

describe('slash menu entries', () => {
  it('lists every block in order when nothing is typed', () => {
    expect(ids('')).toEqual(BLOCKS.map((b) => b.id))
    expect(ids('', false)).not.toContain('image')
  })

  it('puts a label that starts with the query before one that only holds it', () => {
    expect(ids('call')).toEqual(['callout', 'callout-warning', 'callout-success', 'callout-danger'])
    expect(ids('toggle')[0]).toBe('toggle')
  })

  it('finds blocks by their shortcuts and synonyms', () => {
    expect(ids('h3')[0]).toBe('h3')
    expect(ids('h2')[0]).toBe('h2')
    expect(ids('todo')[0]).toBe('checklist')
    expect(ids('tip')[0]).toBe('callout-success')
    expect(ids('details')[0]).toBe('toggle')
  })

  it('matches nothing for unrelated text', () => {
    expect(ids('xyz')).toEqual([])
  })
})

import { describe, expect, it } from 'vitest'
import { commandsOnly, matchScore, rank } from './rank'

const items = [
  { label: 'New document' },
  { label: 'New task' },
  { label: 'Go to channel…' },
  { label: 'Go to project…' },
  { label: 'Toggle theme', keywords: ['dark', 'light'] },
  { label: 'Settings' }
]
const labels = (q: string) => rank(items, q).map((i) => i.label)

describe('matchScore', () => {
  it('prefers a prefix, then a word start, then a substring, then letters in order', () => {
    expect(matchScore('Toggle theme', 'tog')).toBe(4)
    expect(matchScore('Toggle theme', 'THE')).toBe(3)
    expect(matchScore('Toggle theme', 'heme')).toBe(2)
    expect(matchScore('Toggle theme', 'tgth')).toBe(1)
    expect(matchScore('Toggle theme', 'xyz')).toBe(0)
  })
})

describe('rank', () => {
  it('keeps every entry in order for an empty query', () => {
    expect(labels('  ')).toEqual(items.map((i) => i.label))
  })
  it('drops what does not match and puts the best first', () => {
    expect(labels('theme')).toEqual(['Toggle theme'])
    expect(labels('go to c')[0]).toBe('Go to channel…')
    expect(labels('task')).toEqual(['New task'])
    expect(labels('s')[0]).toBe('Settings')
  })
  it('keeps the given order among equal matches', () => {
    expect(labels('new')).toEqual(['New document', 'New task'])
    expect(labels('go')).toEqual(['Go to channel…', 'Go to project…'])
  })
  it('finds by keyword, below a label match', () => {
    expect(labels('dark')).toEqual(['Toggle theme'])
  })
})

describe('commandsOnly', () => {
  it('reads a leading ">" as commands only', () => {
    expect(commandsOnly(' > theme')).toEqual({ commandsOnly: true, term: 'theme' })
    expect(commandsOnly('theme ')).toEqual({ commandsOnly: false, term: 'theme' })
  })
})

describe('letters in order', () => {
  it('start at a word, so a search term does not pick a command by chance', () => {
    expect(matchScore('New document', 'nd')).toBe(1)
    expect(matchScore('Switch organisation…', 'wombat')).toBe(0)
    expect(matchScore('Go to channel…', 'chl')).toBe(1)
  })
})

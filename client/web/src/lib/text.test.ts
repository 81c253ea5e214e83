import { describe, it, expect } from 'vitest'
import { highlightSegments, mentionAt, completeMention, filterPeople, formatBytes, initials, stripMarkdown } from './text'

describe('highlightSegments', () => {
  it('marks UTF-16 ranges', () => {
    expect(highlightSegments('hello world', [{ start: 6, end: 11 }])).toEqual([
      { text: 'hello ', mark: false }, { text: 'world', mark: true }
    ])
  })
  it('handles surrogate pairs, unsorted, overlapping and out-of-range ranges', () => {
    const text = '😀 cat and cat'
    // '😀' is two code units; "cat" starts at 3.
    const segs = highlightSegments(text, [{ start: 11, end: 14 }, { start: 3, end: 6 }, { start: 4, end: 5 }, { start: 40, end: 50 }])
    expect(segs.filter((s) => s.mark).map((s) => s.text)).toEqual(['cat', 'cat'])
    expect(segs.map((s) => s.text).join('')).toBe(text)
  })
  it('returns the text unmarked without ranges', () => {
    expect(highlightSegments('plain')).toEqual([{ text: 'plain', mark: false }])
  })
})

describe('mentions', () => {
  it('finds the handle being typed', () => {
    expect(mentionAt('hi @bo', 6)).toEqual({ start: 3, query: 'bo' })
    expect(mentionAt('@', 1)).toEqual({ start: 0, query: '' })
    expect(mentionAt('mail a@b', 8)).toBeNull()
    expect(mentionAt('hi @bob done', 12)).toBeNull()
  })
  it('completes it', () => {
    expect(completeMention('hi @bo!', 3, 6, 'bob')).toEqual({ value: 'hi @bob !', caret: 8 })
  })
  it('ranks handle prefixes before name matches', () => {
    const people = [{ handle: 'zed', name: 'Bob Zed' }, { handle: 'bob', name: 'Robert' }, { handle: 'ann', name: 'Ann' }]
    expect(filterPeople(people, 'bo').map((p) => p.handle)).toEqual(['bob', 'zed'])
    expect(filterPeople(people, '').length).toBe(3)
  })
})

describe('formatting', () => {
  it('formats sizes and initials', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB')
    expect(initials('Ada King Lovelace')).toBe('AL')
    expect(initials('')).toBe('?')
  })
  it('strips markdown syntax from snippets', () => {
    expect(stripMarkdown('the **draft** is `ready` ~~now~~ [link](http://x)')).toBe('the draft is ready now link')
  })
})

describe('userColor', () => {
  it('is #rrggbb (what the caret extension accepts) with white text at least 4.5:1 for every hue', async () => {
    const { userColor, contrast } = await import('./text')
    for (let i = 0; i < 360; i++) {
      const c = userColor(`user-${i}-${i * 7919}`)
      expect(c).toMatch(/^#[0-9a-f]{6}$/)
      expect(contrast(c, '#ffffff')).toBeGreaterThanOrEqual(4.5)
    }
  })
  it('has a dark-theme version that stands out on the dark page and carries dark text', async () => {
    const { userColor, userColorOnDark, contrast } = await import('./text')
    for (let i = 0; i < 360; i++) {
      const c = userColorOnDark(userColor(`user-${i}-${i * 7919}`))
      expect(c).toMatch(/^#[0-9a-f]{6}$/)
      expect(contrast(c, '#15171c')).toBeGreaterThanOrEqual(4.5)
      expect(contrast(c, '#0d1117')).toBeGreaterThanOrEqual(4.5)
    }
  })
  it('gives different people different colours', async () => {
    const { userColor } = await import('./text')
    const colours = new Set(Array.from({ length: 20 }, (_, i) => userColor(`0190${i}-person`)))
    expect(colours.size).toBeGreaterThanOrEqual(18)
  })
  it('computes WCAG contrast', async () => {
    const { contrast } = await import('./text')
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrast('#777777', '#777777')).toBe(1)
  })
})

// Which palette entries match what was typed, best first. Pure, so it is unit-tested.

// What separates the words of a label.
const SEPARATOR = /[\s/…-]/

/** An entry the palette can list: what it is called and other words that find it. */
export interface Rankable { label: string, keywords?: string[] }

/**
 * How well `query` matches `label`: 4 the label starts with it, 3 a word of it does,
 * 2 it occurs inside, 1 its letters occur in order from the start of a word (typing "nd"
 * finds "New document"), 0 no match. The letters must start at a word so that a search
 * term typed for the search results below ("wombat") does not pick a command at random.
 */
export function matchScore (label: string, query: string): number {
  const l = label.toLowerCase()
  const q = query.toLowerCase()
  if (!q) return 4
  if (l.startsWith(q)) return 4
  if (l.split(SEPARATOR).some((w) => w.startsWith(q))) return 3
  if (l.includes(q)) return 2
  for (let s = 0; s < l.length; s++) {
    if (l[s] !== q[0] || (s > 0 && !SEPARATOR.test(l[s - 1]))) continue
    let i = 0
    for (const c of l.slice(s)) if (c === q[i]) i++
    if (i === q.length) return 1
  }
  return 0
}

/**
 * The entries matching `query` (trimmed; spaces inside it kept), best first; among equals the
 * given order stays, so the list reads the same from one keystroke to the next. A keyword
 * matches at most as well as a word of the label (3), so a name always outranks a synonym.
 */
export function rank<T extends Rankable> (items: T[], query: string): T[] {
  const q = query.trim()
  if (!q) return items.slice()
  return items
    .map((item, i) => ({ item, i, score: Math.max(matchScore(item.label, q), ...(item.keywords ?? []).map((k) => Math.min(3, matchScore(k, q)))) }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map((x) => x.item)
}

/** A query starting with ">" asks for commands only (as in VS Code); the rest is the query. */
export function commandsOnly (query: string): { commandsOnly: boolean, term: string } {
  const t = query.trimStart()
  return t.startsWith('>') ? { commandsOnly: true, term: t.slice(1).trim() } : { commandsOnly: false, term: query.trim() }
}

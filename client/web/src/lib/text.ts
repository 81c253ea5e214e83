// Small pure helpers for text: highlight ranges, @mention completion, formatting.

/** `text` split into plain and marked pieces by UTF-16 ranges (ascending; overlaps and out-of-range parts ignored). */
export function highlightSegments (text: string, ranges: { start: number, end: number }[] = []): { text: string, mark: boolean }[] {
  const out: { text: string, mark: boolean }[] = []
  let at = 0
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const start = Math.max(at, Math.min(r.start, text.length))
    const end = Math.max(start, Math.min(r.end, text.length))
    if (end <= start) continue
    if (start > at) out.push({ text: text.slice(at, start), mark: false })
    out.push({ text: text.slice(start, end), mark: true })
    at = end
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at), mark: false })
  return out
}

/** The @mention being typed at `caret` in `value`: the query after `@` and where the `@` is. */
export function mentionAt (value: string, caret: number): { start: number, query: string } | null {
  const before = value.slice(0, caret)
  const m = /(^|[\s(])@([a-z0-9._-]{0,63})$/i.exec(before)
  if (!m) return null
  return { start: caret - m[2].length - 1, query: m[2] }
}

/** `value` with the mention at `start..caret` replaced by `@handle `, and the new caret. */
export function completeMention (value: string, start: number, caret: number, handle: string): { value: string, caret: number } {
  const insert = `@${handle} `
  return { value: value.slice(0, start) + insert + value.slice(caret), caret: start + insert.length }
}

/** People whose handle or name starts with (or whose name contains a word starting with) `query`. */
export function filterPeople<T extends { handle: string, name: string }> (people: T[], query: string, limit = 8): T[] {
  const q = query.toLowerCase()
  const scored = people
    .map((p) => {
      const h = p.handle.toLowerCase()
      const n = p.name.toLowerCase()
      const score = h.startsWith(q) ? 0 : n.startsWith(q) ? 1 : n.split(/\s+/).some((w) => w.startsWith(q)) ? 2 : h.includes(q) ? 3 : -1
      return { p, score }
    })
    .filter((x) => x.score >= 0)
  scored.sort((a, b) => a.score - b.score || a.p.handle.localeCompare(b.p.handle))
  return scored.slice(0, limit).map((x) => x.p)
}

export function formatBytes (n: number): string {
  if (!Number.isFinite(n)) return ''
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

export function formatTime (ms: number, now = Date.now()): string {
  const d = new Date(ms)
  const sameDay = new Date(now).toDateString() === d.toDateString()
  if (sameDay) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

export function initials (name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase()
}

/** A stable colour per user id, dark enough for white text (WCAG AA on labels). */
export function userColor (id: string): string {
  let h = 0
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0
  return `hsl(${h % 360} 60% 28%)`
}

/** A one-line plain-text version of chat markdown (for notification snippets). */
export function stripMarkdown (md: string): string {
  return md
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|~~|`|\*|_)(.+?)\1/g, '$2')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/\s+/g, ' ')
    .trim()
}

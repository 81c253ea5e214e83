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

/** `n` and the noun in the right number: "1 reply", "2 replies", "0 replies". */
export function plural (n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
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
  // Another year is named: "Mar 4, 2027, 10:15", never a date that reads as this year's.
  const year = d.getFullYear() === new Date(now).getFullYear() ? {} : { year: 'numeric' as const }
  return d.toLocaleString([], { ...year, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
}

/** A day with its year ("Mar 4, 2027"): for expiry dates, which are often next year's. */
export function formatDate (ms: number): string {
  return new Date(ms).toLocaleDateString([], { year: 'numeric', month: 'short', day: 'numeric' })
}

export function initials (name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] || '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase()
}

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance (hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

/** WCAG contrast ratio between two `#rrggbb` colours (1 to 21). */
export function contrast (a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

function hex (r: number, g: number, b: number): string {
  return '#' + [r, g, b].map((c) => Math.round(Math.max(0, Math.min(255, c))).toString(16).padStart(2, '0')).join('')
}

function hslHex (h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l)
  const f = (n: number) => {
    const k = (n + h / 30) % 12
    return 255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))
  }
  return hex(f(0), f(8), f(4))
}

/**
 * A stable colour per user id as `#rrggbb` — the only form the editor's caret extension accepts
 * (anything else is drawn transparent). Dark enough for white text (≥ 4.5:1, so labels and
 * avatars read on it) and for its caret to stand out on the light theme's white page. Hues are
 * spread by the golden angle of a hash, so two people rarely look alike.
 */
export function userColor (id: string): string {
  let h = 0
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0
  const hue = (h * 137.508) % 360
  // Yellows and greens are light at any saturation: darken each hue just enough.
  for (let l = 0.42; ; l -= 0.02) {
    const c = hslHex(hue, 0.7, l)
    if (contrast(c, '#ffffff') >= 4.6 || l <= 0.2) return c
  }
}

/**
 * The dark theme's version of a user colour: the same hue lightened until it stands out on the
 * dark page (≥ 4.5:1 against `--bg` #15171c) and carries dark text (`#0d1117`).
 */
export function userColorOnDark (color: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16))
  for (let t = 0.3; t < 1; t += 0.05) {
    const c = hex(r + (255 - r) * t, g + (255 - g) * t, b + (255 - b) * t)
    if (contrast(c, '#15171c') >= 4.5 && contrast(c, '#0d1117') >= 4.5) return c
  }
  return '#e8eaef'
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

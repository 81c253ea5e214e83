// Versions grouped by the day they were stored, and how a version is named in the list.
import type { DocVersion } from '../../../lib/types'
import { formatTime } from '../../../lib/text'

export interface DayGroup { day: string, versions: DocVersion[] }

/** Versions (newest first) grouped by local calendar day, in the same order. */
export function byDay (versions: DocVersion[]): DayGroup[] {
  const groups: DayGroup[] = []
  for (const v of versions) {
    const day = new Date(v.created_at).toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })
    const last = groups[groups.length - 1]
    if (last?.day === day) last.versions.push(v)
    else groups.push({ day, versions: [v] })
  }
  return groups
}

/** A version's label: its name, or for an automatic snapshot the span of the edits it holds. */
export function versionLabel (v: DocVersion): string {
  if (v.kind === 'named') return v.name
  const from = formatTime(v.from)
  const to = formatTime(v.to)
  return from === to ? `Edits at ${from}` : `Edits ${from} – ${to}`
}

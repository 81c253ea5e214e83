// What an API token may reach, as the server spells it: `{area}:{read|write}` per area (write
// implies read), optionally bound to one organisation and one project of it.

export const AREAS = [
  { id: 'docs', label: 'Documents' },
  { id: 'chat', label: 'Chat' },
  { id: 'boards', label: 'Boards, tasks and time' },
  { id: 'records', label: 'Business records' },
  { id: 'files', label: 'Files' },
  { id: 'search', label: 'Search' },
  { id: 'admin', label: 'Administration' }
] as const

export type Area = typeof AREAS[number]['id']
export type AreaAccess = 'none' | 'read' | 'write'

/** The scopes a per-area choice stands for: one entry per area given access. */
export function scopesOf (access: Partial<Record<Area, AreaAccess>>): string[] {
  return AREAS.flatMap(({ id }) => {
    const a = access[id] ?? 'none'
    return a === 'none' ? [] : [`${id}:${a}`]
  })
}

/** "Records: read · Chat: read and write" for a token's listed scopes; "Full access" without. */
export function describeScopes (scopes: string[] | null | undefined): string {
  if (!scopes) return 'Full access'
  return scopes.map((s) => {
    const [area, access] = s.split(':')
    const label = AREAS.find((a) => a.id === area)?.label ?? area
    return `${label}: ${access === 'write' ? 'read and write' : 'read'}`
  }).join(' · ')
}

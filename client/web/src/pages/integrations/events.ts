// The event picker's choices and the rules between them. The server accepts any pattern of the
// form `kind.…` or `kind.….*` (and `*`); the picker offers the common ones and keeps the list
// tidy: `*` stands alone, a group's `kind.*` replaces its single events.

/** One kind of entity the change feed carries, with its events. */
export interface EventGroup { kind: string, label: string, all: string, events: { type: string, label: string }[] }

const ops = (kind: string, noun: string) => [
  { type: `${kind}.created`, label: `${noun} created` },
  { type: `${kind}.updated`, label: `${noun} changed` },
  { type: `${kind}.deleted`, label: `${noun} deleted` }
]

export const EVENT_GROUPS: EventGroup[] = [
  { kind: 'task', label: 'Tasks', all: 'All tasks', events: ops('task', 'Task') },
  { kind: 'message', label: 'Messages (public channels and discussions)', all: 'All messages', events: ops('message', 'Message') },
  { kind: 'doc', label: 'Documents', all: 'All documents', events: ops('doc', 'Document') },
  { kind: 'file', label: 'Files', all: 'All files', events: ops('file', 'File') },
  {
    kind: 'record',
    label: 'Business records',
    all: 'All business records',
    events: [
      { type: 'record.invoice.*', label: 'Invoices' },
      { type: 'record.client.*', label: 'Clients' },
      { type: 'record.deal.*', label: 'Deals' },
      { type: 'record.payment.*', label: 'Payments' },
      { type: 'record.timesheet.*', label: 'Timesheets' },
      { type: 'record.deleted', label: 'Any record deleted' }
    ]
  }
]

/** Every pattern the picker offers. */
export const KNOWN_PATTERNS = new Set(['*', ...EVENT_GROUPS.flatMap((g) => [`${g.kind}.*`, ...g.events.map((e) => e.type)])])

/** Whether `pattern` has the form the server accepts (it decides; this only catches typos early). */
export function looksLikePattern (pattern: string): boolean {
  if (pattern === '*') return true
  return /^(task|record|message|doc|file)(\.[a-z0-9_]+)*(\.\*)?$/.test(pattern) && pattern.includes('.')
}

/** The list after turning `pattern` on or off: `*` alone; a group's `kind.*` without its parts. */
export function togglePattern (chosen: string[], pattern: string, on: boolean): string[] {
  if (!on) return chosen.filter((p) => p !== pattern)
  if (pattern === '*') return ['*']
  let next = chosen.filter((p) => p !== '*' && p !== pattern)
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -1)
    next = next.filter((p) => !p.startsWith(prefix))
  }
  return [...next, pattern]
}

/** Whether `pattern` is covered by another chosen pattern (`*`, or its group's `kind.*`). */
export function coveredBy (chosen: string[], pattern: string): string | null {
  if (pattern !== '*' && chosen.includes('*')) return '*'
  const group = `${pattern.split('.')[0]}.*`
  if (pattern !== group && chosen.includes(group)) return group
  return null
}

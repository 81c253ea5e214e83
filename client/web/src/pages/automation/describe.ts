// Rules in words: a trigger as a sentence ("When an invoice is transitioned", "Every Monday at
// 09:00 (Europe/Berlin)", "3 days before a task is due") and a cron schedule's common shapes.
// Shapes this does not know are shown as the cron text itself; the server is the judge of
// what a schedule means.

import type { RuleTrigger } from './types'

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']

const OPERATIONS: Record<string, string> = {
  created: 'created',
  updated: 'updated',
  transitioned: 'transitioned',
  deleted: 'deleted'
}

/** "a task", "an invoice". */
export function withArticle (noun: string): string {
  return (/^[aeiou]/i.test(noun) ? 'an ' : 'a ') + noun
}

/** A record type's name for a sentence: its display name (lowercased) or its slug in words. */
function typeNoun (slug: string, typeNames: Record<string, string>): string {
  const name = typeNames[slug] ?? slug.replace(/_/g, ' ')
  return name.toLowerCase()
}

/** An event pattern in words: `record.invoice.transitioned` → "When an invoice is transitioned". */
export function describeEvent (event: string, typeNames: Record<string, string> = {}): string {
  if (event === '*') return 'On any event'
  const parts = event.split('.')
  const kind = parts[0]
  let noun: string
  let op: string | undefined
  if (kind === 'record') {
    if (parts.length === 2) {
      // `record.*` (any record) or `record.deleted` (any record removed).
      noun = 'business record'
      op = parts[1]
    } else {
      noun = parts[1] === '*' ? 'business record' : typeNoun(parts[1], typeNames)
      op = parts[2]
    }
  } else if (kind === 'task' || kind === 'message' || kind === 'doc' || kind === 'file') {
    noun = kind === 'doc' ? 'document' : kind
    op = parts[1]
  } else {
    return `On ${event}`
  }
  if (!op || op === '*') return `On any change to ${withArticle(noun)}`
  if (kind === 'message' && op === 'created') return 'When a message is posted'
  const verb = OPERATIONS[op]
  return verb ? `When ${withArticle(noun)} is ${verb}` : `On ${event}`
}

const pad2 = (n: number) => String(n).padStart(2, '0')

function num (field: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(field)) return null
  const n = Number(field)
  return n >= min && n <= max ? n : null
}

/** A weekday field value: 0–7 (0 and 7 are Sunday) or MON…SUN. */
function weekday (v: string): number | null {
  const i = DAY_NAMES.indexOf(v.toUpperCase())
  if (i >= 0) return i
  const n = num(v, 0, 7)
  return n === null ? null : n % 7
}

function month (v: string): number | null {
  const i = MONTH_NAMES.indexOf(v.toUpperCase())
  if (i >= 0) return i
  const n = num(v, 1, 12)
  return n === null ? null : n - 1
}

function list (words: string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

/** The weekdays of a field (`MON`, `MON,WED`, `MON-FRI`, `1-5`) in words, or null. */
function weekdays (field: string): string | null {
  const range = /^([A-Za-z0-9]+)-([A-Za-z0-9]+)$/.exec(field)
  if (range) {
    const a = weekday(range[1])
    const b = weekday(range[2])
    if (a === null || b === null) return null
    if (a === 1 && b === 5) return 'weekday (Monday to Friday)'
    return `${DAYS[a]} to ${DAYS[b]}`
  }
  const days = field.split(',').map(weekday)
  if (days.some((d) => d === null)) return null
  return list(days.map((d) => DAYS[d!]))
}

function ordinal (n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')
  return `${n}${s}`
}

/**
 * A five-field cron schedule in words for its common shapes ("Every Monday at 09:00",
 * "Every day at 18:30", "Every 15 minutes", "On the 1st of every month at 08:00"); null for
 * any other shape (or something that is not a schedule).
 */
export function describeCron (cron: string): string | null {
  const f = cron.trim().split(/\s+/)
  if (f.length !== 5) return null
  const [mi, h, dom, mon, dow] = f
  if (mi === '*' && h === '*' && dom === '*' && mon === '*' && dow === '*') return 'Every minute'
  const everyMin = /^\*\/(\d+)$/.exec(mi)
  if (everyMin && h === '*' && dom === '*' && mon === '*' && dow === '*') {
    const n = Number(everyMin[1])
    return n >= 1 && n <= 59 ? (n === 1 ? 'Every minute' : `Every ${n} minutes`) : null
  }
  const minute = num(mi, 0, 59)
  if (minute === null) return null
  if (h === '*' && dom === '*' && mon === '*' && dow === '*') return `Every hour at :${pad2(minute)}`
  const everyHour = /^\*\/(\d+)$/.exec(h)
  if (everyHour && dom === '*' && mon === '*' && dow === '*') {
    const n = Number(everyHour[1])
    if (n < 1 || n > 23) return null
    return (n === 1 ? 'Every hour' : `Every ${n} hours`) + ` at :${pad2(minute)}`
  }
  const hour = num(h, 0, 23)
  if (hour === null) return null
  const at = `at ${pad2(hour)}:${pad2(minute)}`
  if (dom === '*' && mon === '*') {
    if (dow === '*') return `Every day ${at}`
    const days = weekdays(dow)
    return days ? `Every ${days} ${at}` : null
  }
  if (dow !== '*') return null
  const day = num(dom, 1, 31)
  if (day === null) return null
  if (mon === '*') return `On the ${ordinal(day)} of every month ${at}`
  const m = month(mon)
  return m === null ? null : `Every year on ${MONTHS[m]} ${day} ${at}`
}

/** A trigger as a sentence, with the time zone of schedules and due dates (UTC when unset). */
export function describeTrigger (t: RuleTrigger, typeNames: Record<string, string> = {}): string {
  const zone = t.timezone || 'UTC'
  if (t.event) return describeEvent(t.event, typeNames)
  if (t.schedule) {
    const words = describeCron(t.schedule)
    return `${words ?? `On the schedule ${t.schedule}`} (${zone})`
  }
  if (t.due_within_days != null) {
    const d = t.due_within_days
    if (d === 0) return 'On the day a task is due'
    return `${d} ${d === 1 ? 'day' : 'days'} before a task is due`
  }
  return 'No trigger'
}

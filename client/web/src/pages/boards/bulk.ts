// Why a bulk request was refused, per task: the 422's `errors` beside `error` (a list of
// `{task, field, message}`; a map of task id to reason is read too), and field errors named
// `tasks.<id>`.
import { ApiError } from '../../lib/api'

export function bulkErrors (e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {}
  const out: Record<string, string> = {}
  const errors = e.details.errors
  if (Array.isArray(errors)) {
    for (const x of errors) {
      const id = x?.task ?? x?.task_id ?? x?.id
      const why = x?.message ?? x?.error ?? x?.code ?? 'refused'
      if (typeof id === 'string') out[id] = x?.field ? `${x.field}: ${why}` : String(why)
    }
  } else if (errors && typeof errors === 'object') {
    for (const [id, why] of Object.entries(errors as Record<string, unknown>)) {
      out[id] = typeof why === 'string' ? why : String((why as any)?.message ?? (why as any)?.code ?? 'refused')
    }
  }
  for (const [k, why] of Object.entries(e.fields)) {
    const m = /^tasks?[.[]([^\]]+)\]?$/.exec(k)
    if (m) out[m[1]] = why
  }
  return out
}

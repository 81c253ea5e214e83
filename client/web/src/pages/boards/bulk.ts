// Why a bulk request was refused, per task: the 422's `errors` (a map of task id to reason, or
// a list of `{task, message}`), else its field errors named `tasks.<id>` or by task id.
import { ApiError } from '../../lib/api'

export function bulkErrors (e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {}
  const out: Record<string, string> = {}
  const errors = e.details.errors
  if (Array.isArray(errors)) {
    for (const x of errors) {
      const id = x?.task ?? x?.task_id ?? x?.id
      const why = x?.message ?? x?.error ?? x?.code
      if (typeof id === 'string') out[id] = String(why ?? 'refused')
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

// Comment threads from the API's flat list (each thread's first comment, then its replies).
import type { DocComment } from '../../../lib/types'

export interface Thread {
  id: string
  first: DocComment
  replies: DocComment[]
}

/** Threads in the order they were started; a reply whose thread is not (yet) here is left out. */
export function groupThreads (comments: DocComment[]): Thread[] {
  const threads = new Map<string, Thread>()
  for (const c of comments) {
    if (c.thread === c.id) threads.set(c.id, { id: c.id, first: c, replies: [] })
  }
  for (const c of comments) {
    if (c.thread !== c.id) threads.get(c.thread)?.replies.push(c)
  }
  const ordered = [...threads.values()].sort((a, b) => a.first.created_at - b.first.created_at || a.id.localeCompare(b.id))
  for (const t of ordered) t.replies.sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id))
  return ordered
}

/** Threads in the order of their text in the document; those whose text is gone come last. */
export function orderThreads (threads: Thread[], ranges: Map<string, { from: number, to: number }>): Thread[] {
  const at = (t: Thread) => ranges.get(t.id)?.from ?? Number.POSITIVE_INFINITY
  return threads.slice().sort((a, b) => at(a) - at(b) || a.first.created_at - b.first.created_at)
}

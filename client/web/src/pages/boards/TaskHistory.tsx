// A task's history: field changes with who, when, before and after (refetched when the task
// changes).
import { useState } from 'preact/hooks'
import { userById } from '../../lib/session'
import { formatTime } from '../../lib/text'
import { ErrorBox, useAsync } from '../../ui/common'
import { tasksApi } from './api'

function show (v: unknown): string {
  if (v === null || v === undefined || v === '') return '—'
  if (Array.isArray(v)) return v.length ? v.map((x) => typeof x === 'string' ? (userById.value.get(x)?.name ?? x) : JSON.stringify(x)).join(', ') : '—'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

export function TaskHistory ({ taskId, updatedAt }: { taskId: string, updatedAt: number }) {
  const [open, setOpen] = useState(false)
  const list = useAsync((signal) => open ? tasksApi.history(taskId, signal) : Promise.resolve({ items: [] }), [taskId, updatedAt, open])
  return (
    <section class='task-section'>
      <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
        <summary><h3 class='inline'>History</h3></summary>
        <ErrorBox error={list.error} retry={list.reload} />
        <ol class='history' data-testid='history'>
          {(list.data?.items ?? []).map((c) => (
            <li key={c.seq}>
              <span class='muted small'>{formatTime(c.at)}</span> {c.actor ? (userById.value.get(c.actor)?.name ?? 'Someone') : 'The system'} changed <strong>{c.field}</strong>: {show(c.before)} → {show(c.after)}
            </li>
          ))}
        </ol>
      </details>
    </section>
  )
}

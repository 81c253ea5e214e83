// Dependencies: the tasks this one waits for (editable: `blocked_by`) and those waiting for it.
// A cycle is refused by the server, and its reason shows here.
import { useState } from 'preact/hooks'
import type { Task, TaskRef } from '../../lib/types'
import type { TaskPatch } from './api'
import { taskHref } from './bits'
import { TaskPicker } from './TaskPicker'

export function Dependencies ({ task, writable, error, onSave }: { task: Task, writable: boolean, error?: string, onSave: (p: TaskPatch) => Promise<boolean> }) {
  const [adding, setAdding] = useState(false)
  const ids = task.blocked_by.map((b) => b.id)
  const openBlockers = task.blocked_by.filter((b) => !b.closed).length
  return (
    <section class='task-section' aria-labelledby='task-deps-h'>
      <h3 id='task-deps-h'>Dependencies {openBlockers > 0 && <span class='chip chip-blocked'>Blocked by {openBlockers}</span>}</h3>
      <h4 class='small muted'>Blocked by</h4>
      <RefList refs={task.blocked_by} testId='blocked-by' onRemove={writable ? (id) => onSave({ blocked_by: ids.filter((x) => x !== id) }) : undefined} />
      {writable && (adding
        ? <TaskPicker project={task.project_id} exclude={[task.id, ...ids]} label='Add a blocker' onPick={async (id) => { if (await onSave({ blocked_by: [...ids, id] })) setAdding(false) }} />
        : <button class='btn btn-small' onClick={() => setAdding(true)}>Add a blocker</button>)}
      {error && <small class='field-error' role='alert' data-testid='blocked-by-error'>{error}</small>}
      <h4 class='small muted'>Blocks</h4>
      <RefList refs={task.blocks} testId='blocks' />
    </section>
  )
}

function RefList ({ refs, testId, onRemove }: { refs: TaskRef[], testId: string, onRemove?: (id: string) => void }) {
  if (!refs.length) return <p class='muted small'>None</p>
  return (
    <ul class='ref-list' data-testid={testId}>
      {refs.map((r) => (
        <li key={r.id} class={r.closed ? 'closed' : ''}>
          <a href={taskHref(r.id)}>{r.key}</a> {r.title}{r.closed && <span class='muted small'> · done</span>}
          {onRemove && <button class='btn-icon btn-tiny' aria-label={`Remove ${r.key}`} onClick={() => onRemove(r.id)}>×</button>}
        </li>
      ))}
    </ul>
  )
}

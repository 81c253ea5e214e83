// A task's subtasks: the list with their state, and adding one (a task of the same board
// column flow, with this task as its parent).
import { useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { Task } from '../../lib/types'
import { boardsApi } from './api'
import { useFirstBoard } from './useFirstBoard'
import { taskHref } from './bits'

export function Subtasks ({ task, writable, onChanged }: { task: Task, writable: boolean, onChanged: () => void }) {
  const [title, setTitle] = useState('')
  const [error, setError] = useState<string | null>(null)
  const board = useFirstBoard(task.project_id)
  const done = task.subtasks.filter((s) => s.closed).length
  async function add (e: Event) {
    e.preventDefault()
    if (!title.trim() || !board) return
    try {
      await boardsApi.createTask(board, { title: title.trim(), parent: task.id })
      setTitle('')
      setError(null)
      onChanged()
    } catch (err) {
      if (err instanceof ApiError && (err.fields.title || err.fields.parent)) setError(err.fields.title || err.fields.parent)
      else toastError(err)
    }
  }
  return (
    <section class='task-section' aria-labelledby='task-sub-h'>
      <h3 id='task-sub-h'>Subtasks {task.subtasks.length > 0 && <span class='muted small'>{done}/{task.subtasks.length} done</span>}</h3>
      {task.subtasks.length > 0 && (
        <ul class='ref-list' data-testid='subtasks'>
          {task.subtasks.map((s) => <li key={s.id} class={s.closed ? 'closed' : ''}><a href={taskHref(s.id)}>{s.key}</a> {s.title}{s.closed && <span class='muted small'> · done</span>}</li>)}
        </ul>
      )}
      {writable && board && (
        <form class='row' onSubmit={add}>
          <label class='sr-only' for='subtask-title'>New subtask</label>
          <input id='subtask-title' placeholder='Add a subtask' value={title} onInput={(e) => setTitle(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'subtask-err' : undefined} />
          <button class='btn btn-small'>Add</button>
        </form>
      )}
      {error && <small id='subtask-err' class='field-error' role='alert'>{error}</small>}
    </section>
  )
}

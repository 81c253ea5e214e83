// The task panel beside the board or the list (`?task=`), or a page of its own
// (`/o/:org/tasks/:task`): title, the live description, fields, subtasks, checklist,
// dependencies, time, attachments, the discussion and the history. Every edit is a PATCH of the
// fields it changes; the answer (the whole task) replaces what is shown, and other people's
// edits arrive as `task.updated` and refetch it.
import { lazy, Suspense } from 'preact/compat'
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { events, toastError } from '../../lib/session'
import type { Task } from '../../lib/types'
import { ErrorBox, Spinner, useAsync, confirmDialog } from '../../ui/common'
import { tasksApi, type TaskPatch } from './api'
import { TaskFields } from './TaskFields'
import { Subtasks } from './Subtasks'
import { Checklist } from './Checklist'
import { Dependencies } from './Dependencies'
import { TimeTracking } from './TimeTracking'
import { Attachments } from './Attachments'
import { TaskHistory } from './TaskHistory'
import { Discussion } from './Discussion'

// The editor (Tiptap, ProseMirror, Yjs) is the document screen's chunk: loaded when a task opens.
const Description = lazy(() => import('./Description'))

export function TaskPanel ({ org, taskId, onClose, onChanged, page }: { org: string, taskId: string, onClose?: () => void, onChanged?: (t: Task) => void, page?: boolean }) {
  const loaded = useAsync((signal) => tasksApi.get(taskId, signal), [taskId])
  const [task, setTask] = useState<Task | undefined>(undefined)
  const [saveError, setSaveError] = useState<{ fields: Record<string, string>, message?: string }>({ fields: {} })
  useEffect(() => { setTask(loaded.data) }, [loaded.data])
  // Someone else changed it (or a move on the board did): fetch the whole task again.
  useEffect(() => {
    const refetch = (id: string) => { if (id === taskId) tasksApi.get(taskId).then(setTask, () => {}) }
    const offs = [
      events.on('task.updated', (f) => refetch(f.data.task.id)),
      events.on('task.moved', (f) => refetch(f.data.task.id)),
      events.on('task.deleted', (f) => { if (f.data.id === taskId) onClose?.() })
    ]
    return () => { for (const off of offs) off() }
  }, [taskId])
  useEffect(() => {
    if (page || !onClose) return
    // Escape closes the panel, unless it is meant for a field, the editor or a card being moved.
    const onKey = (e: KeyboardEvent) => { if (e.key === 'Escape' && !e.defaultPrevented && !(e.target as HTMLElement)?.closest?.('input, textarea, select, .ProseMirror, [data-card], [role="dialog"]')) onClose() }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose, page])

  /** Saves `patch`; on a refusal that needs confirming (closing a parent with open subtasks)
   * asks, then sends it again with `confirm`. */
  async function save (patch: TaskPatch): Promise<boolean> {
    setSaveError({ fields: {} })
    try {
      const t = await tasksApi.update(taskId, patch)
      setTask(t)
      onChanged?.(t)
      return true
    } catch (e) {
      if (e instanceof ApiError && needsConfirm(e) && !patch.confirm) {
        if (await confirmDialog({ title: 'Do it anyway?', message: e.message, action: 'Do it anyway' })) return save({ ...patch, confirm: true })
        return false
      }
      if (e instanceof ApiError && Object.keys(e.fields).length) setSaveError({ fields: e.fields, message: e.message })
      else toastError(e)
      return false
    }
  }

  const t = task
  const writable = !!t?.can?.write
  const body = loaded.error && !t
    ? <ErrorBox error={loaded.error} retry={loaded.reload} />
    : !t
        ? <Spinner />
        : (
          <>
            <div class='task-panel-head'>
              <span class='task-key'>{t.key}</span>
              <span class='grow' />
              {!page && <a class='btn btn-small' href={`/o/${org}/tasks/${t.id}`}>Open as page</a>}
              {onClose && <button class='btn-icon' aria-label='Close the task' onClick={onClose}>×</button>}
            </div>
            <TitleEditor task={t} writable={writable} error={saveError.fields.title} onSave={(title) => save({ title })} />
            {saveError.message && !Object.keys(saveError.fields).some((f) => SHOWN_FIELDS.includes(f)) && <ErrorBox error={saveError.message} />}
            <TaskFields task={t} writable={writable} errors={saveError.fields} onSave={save} />
            <section class='task-section' aria-labelledby='task-desc-h'>
              <h3 id='task-desc-h'>Description</h3>
              <Suspense fallback={<Spinner />}><Description key={t.description_doc} docId={t.description_doc} project={t.project_id} writable={writable} /></Suspense>
            </section>
            <Subtasks task={t} writable={writable} onChanged={() => loaded.reload()} />
            <Checklist task={t} writable={writable} error={saveError.fields.checklist} onSave={save} />
            <Dependencies task={t} writable={writable} error={saveError.fields.blocked_by} onSave={save} />
            <TimeTracking task={t} onLogged={() => tasksApi.get(taskId).then(setTask, () => {})} />
            <Attachments task={t} writable={writable} onSave={save} />
            <Discussion org={org} channelId={t.discussion_channel} />
            <TaskHistory taskId={t.id} updatedAt={t.updated_at} />
          </>
          )
  if (page) return <section class='page task-page' data-testid='task-panel'>{body}</section>
  return <aside class='task-panel' aria-label={t ? `Task ${t.key}` : 'Task'} data-testid='task-panel'>{body}</aside>
}

/** The fields whose errors show beside their control (others show under the title). */
const SHOWN_FIELDS = ['title', 'status', 'assignees', 'labels', 'priority', 'due', 'estimate', 'milestone', 'parent', 'checklist', 'blocked_by']

/** Refusals that the person may override by confirming (the server's codes for them). */
function needsConfirm (e: ApiError): boolean {
  return e.status === 409 && /confirm|subtask/i.test(e.code)
}

function TitleEditor ({ task, writable, error, onSave }: { task: Task, writable: boolean, error?: string, onSave: (title: string) => Promise<boolean> }) {
  const [editing, setEditing] = useState(false)
  const [title, setTitle] = useState(task.title)
  useEffect(() => { if (!editing) setTitle(task.title) }, [task.title])
  if (!editing || !writable) {
    return (
      <h2 class='task-title-big'>
        {task.title}
        {writable && <button class='btn btn-small' onClick={() => setEditing(true)} aria-label='Rename the task'>Rename</button>}
      </h2>
    )
  }
  return (
    <form class='stack' onSubmit={async (e) => { e.preventDefault(); if (await onSave(title)) setEditing(false) }}>
      <label class='sr-only' for='task-title'>Title</label>
      <input id='task-title' value={title} autoFocus onInput={(e) => setTitle(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'task-title-err' : undefined} />
      {error && <small id='task-title-err' class='field-error' role='alert'>{error}</small>}
      <div class='row'><button class='btn btn-primary btn-small'>Save</button><button type='button' class='btn btn-small' onClick={() => setEditing(false)}>Cancel</button></div>
    </form>
  )
}

// A task's fields in the panel: status, assignees, labels, priority, due date, estimate,
// milestone, parent. Each control saves its field when it changes (a select, a date) or when
// it is left or submitted (text); the server's field errors show beside the control.
import { useEffect, useState } from 'preact/hooks'
import { members, userById } from '../../lib/session'
import type { Priority, Task } from '../../lib/types'
import { Avatar, useAsync } from '../../ui/common'
import { tasksApi, type TaskPatch } from './api'
import { PRIORITIES, PRIORITY_LABEL, splitList } from './bits'
import { useStatuses } from './useStatuses'
import { formatMinutes, parseDuration } from './week'
import { TaskPicker } from './TaskPicker'

export function TaskFields ({ task, writable, errors, onSave }: { task: Task, writable: boolean, errors: Record<string, string>, onSave: (p: TaskPatch) => Promise<boolean> }) {
  const statuses = useStatuses(task.project_id, task)
  const milestones = useAsync((signal) => tasksApi.milestones(task.project_id, signal).catch(() => ({ items: [] })), [task.project_id])
  const err = (name: string) => errors[name] ? <small id={`tf-${name}-err`} class='field-error' role='alert'>{errors[name]}</small> : null
  const described = (name: string) => errors[name] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `tf-${name}-err` } : {}
  return (
    <dl class='task-fields' data-testid='task-fields'>
      <dt><label for='tf-status'>Status</label></dt>
      <dd>
        <select id='tf-status' value={task.status_id} disabled={!writable} onChange={(e) => onSave({ status: e.currentTarget.value })} {...described('status')}>
          {statuses.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </select>
        {err('status')}
      </dd>
      <dt id='tf-assignees-label'>Assignees</dt>
      <dd><Assignees task={task} writable={writable} onSave={onSave} />{err('assignees')}</dd>
      <dt><label for='tf-labels'>Labels</label></dt>
      <dd><TextField id='tf-labels' value={task.labels.join(', ')} writable={writable} placeholder='design, backend' onCommit={(v) => onSave({ labels: splitList(v) })} extra={described('labels')} />{err('labels')}</dd>
      <dt><label for='tf-priority'>Priority</label></dt>
      <dd>
        <select id='tf-priority' value={task.priority} disabled={!writable} onChange={(e) => onSave({ priority: e.currentTarget.value as Priority })} {...described('priority')}>
          {PRIORITIES.map((p) => <option key={p} value={p}>{PRIORITY_LABEL[p]}</option>)}
        </select>
        {err('priority')}
      </dd>
      <dt><label for='tf-due'>Due</label></dt>
      <dd><input id='tf-due' type='date' value={task.due ?? ''} disabled={!writable} onChange={(e) => onSave({ due: e.currentTarget.value || null })} {...described('due')} />{err('due')}</dd>
      <dt><label for='tf-estimate'>Estimate</label></dt>
      <dd>
        <TextField
          id='tf-estimate' value={task.estimate ? formatMinutes(task.estimate) : ''} writable={writable} placeholder='1:30 or 90m'
          onCommit={(v) => {
            if (!v.trim()) return onSave({ estimate: null })
            const m = parseDuration(v)
            // A negative or unreadable estimate still goes to the server, which says why not.
            return onSave({ estimate: m ?? Number(v) })
          }}
          extra={described('estimate')}
        />
        {err('estimate')}
      </dd>
      <dt><label for='tf-milestone'>Milestone</label></dt>
      <dd>
        <select id='tf-milestone' value={task.milestone ?? ''} disabled={!writable} onChange={(e) => onSave({ milestone: e.currentTarget.value || null })} {...described('milestone')}>
          <option value=''>None</option>
          {(milestones.data?.items ?? []).map((m) => <option key={m.id} value={m.id}>{m.name}</option>)}
        </select>
        {err('milestone')}
      </dd>
      <dt id='tf-parent-label'>Parent</dt>
      <dd>
        {task.parent
          ? <span class='row'><span>{task.parent.key} {task.parent.title}</span>{writable && <button class='btn btn-small' onClick={() => onSave({ parent: null })}>Remove</button>}</span>
          : writable
            ? <TaskPicker project={task.project_id} exclude={[task.id]} label='Set the parent task' onPick={(id) => onSave({ parent: id })} />
            : <span class='muted'>None</span>}
        {err('parent')}
      </dd>
    </dl>
  )
}

/** A text input that saves when left or on Enter, if its value changed. */
function TextField ({ id, value, writable, placeholder, onCommit, extra }: { id: string, value: string, writable: boolean, placeholder?: string, onCommit: (v: string) => Promise<boolean> | void, extra?: Record<string, string | undefined> }) {
  const [v, setV] = useState(value)
  useEffect(() => setV(value), [value])
  const commit = () => { if (v !== value) onCommit(v) }
  return <input id={id} value={v} placeholder={placeholder} disabled={!writable} onInput={(e) => setV(e.currentTarget.value)} onBlur={commit} onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); commit() } }} {...extra} />
}

function Assignees ({ task, writable, onSave }: { task: Task, writable: boolean, onSave: (p: TaskPatch) => Promise<boolean> }) {
  const people = task.assignees.map((id) => userById.value.get(id) ?? { id, name: 'Unknown person' })
  const toggle = (id: string, on: boolean) => onSave({ assignees: on ? [...task.assignees, id] : task.assignees.filter((a) => a !== id) })
  return (
    <div class='assignees' aria-labelledby='tf-assignees-label' role='group'>
      {people.map((p) => <span key={p.id} class='assignee'><Avatar id={p.id} name={p.name} size={22} /> {p.name}</span>)}
      {!people.length && <span class='muted'>Nobody</span>}
      {writable && (
        <details class='picker'>
          <summary class='btn btn-small'>Change<span class='sr-only'> assignees</span></summary>
          <div class='picker-menu'>
            {members.value.map((m) => (
              <label key={m.user.id} class='check'>
                <input type='checkbox' checked={task.assignees.includes(m.user.id)} onChange={(e) => toggle(m.user.id, e.currentTarget.checked)} /> {m.user.name}
              </label>
            ))}
          </div>
        </details>
      )}
    </div>
  )
}

// A task's checklist: tick, add, remove. The whole list is sent on each change (items keep
// their ids; new ones get theirs from the server).
import { useState } from 'preact/hooks'
import type { ChecklistItem, Task } from '../../lib/types'
import type { TaskPatch } from './api'

export function Checklist ({ task, writable, error, onSave }: { task: Task, writable: boolean, error?: string, onSave: (p: TaskPatch) => Promise<boolean> }) {
  const [text, setText] = useState('')
  const items = task.checklist
  const save = (checklist: ChecklistItem[]) => onSave({ checklist })
  const done = items.filter((i) => i.done).length
  return (
    <section class='task-section' aria-labelledby='task-check-h'>
      <h3 id='task-check-h'>Checklist {items.length > 0 && <span class='muted small'>{done}/{items.length}</span>}</h3>
      <ul class='checklist' data-testid='checklist'>
        {items.map((item) => (
          <li key={item.id}>
            <label class='check'>
              <input type='checkbox' checked={item.done} disabled={!writable} onChange={(e) => save(items.map((i) => i.id === item.id ? { ...i, done: e.currentTarget.checked } : i))} />
              <span class={item.done ? 'done' : ''}>{item.text}</span>
            </label>
            {writable && <button class='btn-icon btn-tiny' aria-label={`Remove “${item.text}”`} onClick={() => save(items.filter((i) => i.id !== item.id))}>×</button>}
          </li>
        ))}
      </ul>
      {writable && (
        <form class='row' onSubmit={async (e) => { e.preventDefault(); if (text.trim() && await save([...items, { id: '', text: text.trim(), done: false }])) setText('') }}>
          <label class='sr-only' for='check-new'>New checklist item</label>
          <input id='check-new' placeholder='Add an item' value={text} onInput={(e) => setText(e.currentTarget.value)} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? 'check-err' : undefined} />
          <button class='btn btn-small'>Add</button>
        </form>
      )}
      {error && <small id='check-err' class='field-error' role='alert'>{error}</small>}
    </section>
  )
}

// Files attached to a task: upload to the project's files, then attach by id (the task keeps
// the list); download and detach.
import { useRef, useState } from 'preact/hooks'
import { upload } from '../../lib/api'
import { toastError } from '../../lib/session'
import type { Task } from '../../lib/types'
import { formatBytes } from '../../lib/text'
import type { TaskPatch } from './api'

export function Attachments ({ task, writable, onSave }: { task: Task, writable: boolean, onSave: (p: TaskPatch) => Promise<boolean> }) {
  const input = useRef<HTMLInputElement>(null)
  const [progress, setProgress] = useState<number | null>(null)
  const ids = task.attachments.map((a) => a.id)
  async function attach (files: FileList) {
    const added: string[] = []
    try {
      for (const f of [...files]) {
        setProgress(0)
        const res = await upload<{ id: string }>(`/api/v1/projects/${task.project_id}/files`, f, f.name, setProgress).promise
        added.push(res.id)
      }
      if (added.length) await onSave({ attachments: [...ids, ...added] })
    } catch (e) { toastError(e) } finally { setProgress(null) }
  }
  return (
    <section class='task-section' aria-labelledby='task-files-h'>
      <h3 id='task-files-h'>Attachments</h3>
      {task.attachments.length > 0
        ? (
          <ul class='ref-list' data-testid='attachments'>
            {task.attachments.map((a) => (
              <li key={a.id}>
                <a href={`/api/v1/files/${a.id}/content`} download={a.name}>{a.name}</a> <span class='muted small'>{formatBytes(a.size)}</span>
                {writable && <button class='btn-icon btn-tiny' aria-label={`Detach ${a.name}`} onClick={() => onSave({ attachments: ids.filter((x) => x !== a.id) })}>×</button>}
              </li>
            ))}
          </ul>
          )
        : <p class='muted small'>None</p>}
      {writable && (
        <>
          <button class='btn btn-small' onClick={() => input.current?.click()} disabled={progress !== null}>Attach files<span class='sr-only'> to the task</span></button>
          {progress !== null && <progress max={1} value={progress} aria-label='Uploading' />}
          <input ref={input} type='file' multiple hidden onChange={(e) => { const f = e.currentTarget.files; if (f?.length) attach(f); e.currentTarget.value = '' }} />
        </>
      )}
    </section>
  )
}

// Finding a task of the project by key or title words (for a parent or a blocker).
import { useEffect, useState } from 'preact/hooks'
import type { TaskCard } from '../../lib/types'
import { tasksApi } from './api'

let pickerSeq = 0

export function TaskPicker ({ project, exclude, label, onPick }: { project: string, exclude: string[], label: string, onPick: (id: string) => void }) {
  const [text, setText] = useState('')
  const [found, setFound] = useState<TaskCard[]>([])
  const [id] = useState(() => `task-picker-${++pickerSeq}`)
  useEffect(() => {
    if (!text.trim()) { setFound([]); return }
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      tasksApi.list(project, { text: text.trim() }, 'key', ctrl.signal).then((r) => setFound(r.items.filter((x) => !exclude.includes(x.id)).slice(0, 8)), () => {})
    }, 150)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [text, project])
  return (
    <div class='task-picker'>
      <label class='sr-only' for={id}>{label}</label>
      <input id={id} type='search' placeholder={`${label}: key or words`} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      {found.length > 0 && (
        <ul class='picker-results' aria-label='Matching tasks'>
          {found.map((t) => <li key={t.id}><button type='button' class='btn-link' onClick={() => { onPick(t.id); setText('') }}>{t.key} {t.title}</button></li>)}
        </ul>
      )}
    </div>
  )
}

// The statuses a task of a project can take (for the status selects), fetched once per project.
import { useEffect, useState } from 'preact/hooks'
import type { Task } from '../../lib/types'
import { tasksApi } from './api'

export interface StatusOption { id: string, name: string }

const cache = new Map<string, Promise<StatusOption[]>>()

async function load (project: string): Promise<StatusOption[]> {
  return (await tasksApi.statuses(project)).items
}

/** The project's statuses, the task's own always among them. */
export function useStatuses (project: string, task: Task): StatusOption[] {
  const list = useProjectStatuses(project)
  return list.some((s) => s.id === task.status_id) ? list : [{ id: task.status_id, name: task.status }, ...list]
}

/** The project's statuses. */
export function useProjectStatuses (project: string): StatusOption[] {
  const [list, setList] = useState<StatusOption[]>([])
  useEffect(() => {
    let p = cache.get(project)
    if (!p) {
      p = load(project)
      cache.set(project, p)
      p.catch(() => cache.delete(project))
    }
    let live = true
    p.then((l) => { if (live) setList(l) }, () => {})
    return () => { live = false }
  }, [project])
  return list
}

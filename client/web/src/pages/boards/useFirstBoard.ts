// The project's first board: where tasks created outside a board (subtasks) are put.
import { useEffect, useState } from 'preact/hooks'
import { boardsApi } from './api'

export function useFirstBoard (project: string): string | null {
  const [id, setId] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    boardsApi.list(project).then((r) => { if (live) setId(r.items[0]?.id ?? null) }, () => {})
    return () => { live = false }
  }, [project])
  return id
}

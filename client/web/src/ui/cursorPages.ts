// A list read page by page with the API's cursors: the first page (reloadable, the newest),
// then older pages appended on request — one request at a time, so a second click on
// "Load older" while one is on its way does not fetch (and show) the same page twice.
import { useState } from 'preact/hooks'
import { toastError } from '../lib/session'
import { useAsync } from './common'

export interface CursorPage<T> { items: T[], next?: string | null }

export function useCursorPages<T> (fetchPage: (cursor: string | undefined, signal?: AbortSignal) => Promise<CursorPage<T>>, deps: unknown[]) {
  const [older, setOlder] = useState<T[]>([])
  const [next, setNext] = useState<string | null>(null)
  const [loadingMore, setLoadingMore] = useState(false)
  const first = useAsync(async (signal) => {
    const page = await fetchPage(undefined, signal)
    setOlder([])
    setNext(page.next ?? null)
    return page.items
  }, deps)
  async function more () {
    if (!next || loadingMore) return
    setLoadingMore(true)
    try {
      const page = await fetchPage(next)
      setOlder((o) => [...o, ...page.items])
      setNext(page.next ?? null)
    } catch (e) {
      toastError(e)
    } finally {
      setLoadingMore(false)
    }
  }
  return { first, items: [...(first.data ?? []), ...older], next, more, loadingMore }
}

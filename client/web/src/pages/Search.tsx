import { useEffect, useRef, useState } from 'preact/hooks'
import { api, qs } from '../lib/api'
import { navigate } from '../lib/router'
import { userById, projects } from '../lib/session'
import { channels } from '../chat/store'
import type { SearchHit, SearchResponse } from '../lib/types'
import { highlightSegments, formatTime } from '../lib/text'
import { Modal, Spinner } from '../ui/common'

const KIND_LABEL: Record<string, string> = { doc: 'Documents', message: 'Messages', file: 'Files', task: 'Tasks', record: 'Records' }
const KIND_ORDER = ['doc', 'message', 'file', 'task', 'record']

export function Marked ({ text, ranges }: { text: string, ranges: { start: number, end: number }[] }) {
  return <>{highlightSegments(text, ranges).map((s, i) => s.mark ? <mark key={i}>{s.text}</mark> : s.text)}</>
}

export function hitPath (org: string, h: SearchHit): string | null {
  if (h.kind === 'doc' && h.project) return `/o/${org}/p/${h.project}/docs/${h.id}`
  if (h.kind === 'file' && h.project) return `/o/${org}/p/${h.project}/files?f=${encodeURIComponent(h.id)}`
  if (h.kind === 'message' && h.channel) return `/o/${org}/chat/${h.channel}?m=${encodeURIComponent(h.id)}`
  return null
}

export function SearchPalette ({ org, onClose }: { org: string, onClose: () => void }) {
  const [q, setQ] = useState('')
  const [hits, setHits] = useState<SearchHit[]>([])
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [active, setActive] = useState(0)
  const seq = useRef(0)
  useEffect(() => {
    const term = q.trim()
    if (!term) { setHits([]); setLoading(false); return }
    const n = ++seq.current
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      setLoading(true)
      api.get<SearchResponse>(`/api/v1/orgs/${org}/search${qs({ q: term, limit: 30 })}`, { signal: ctrl.signal }).then((r) => {
        if (n !== seq.current) return
        setHits(r.hits)
        setActive(0)
        setError(null)
      }, (e) => { if (e?.name !== 'AbortError' && n === seq.current) setError(e.message) }).finally(() => { if (n === seq.current) setLoading(false) })
    }, 120)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [q, org])
  const groups = KIND_ORDER.map((k) => ({ kind: k, hits: hits.filter((h) => h.kind === k) })).filter((g) => g.hits.length)
  const flat = groups.flatMap((g) => g.hits)
  function go (h: SearchHit) {
    const p = hitPath(org, h)
    if (p) { onClose(); navigate(p) }
  }
  function onKey (e: KeyboardEvent) {
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive((a) => Math.min(flat.length - 1, a + 1)) }
    if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => Math.max(0, a - 1)) }
    if (e.key === 'Enter' && flat[active]) { e.preventDefault(); go(flat[active]) }
  }
  useEffect(() => {
    document.getElementById(`hit-${active}`)?.scrollIntoView({ block: 'nearest' })
  }, [active])
  const projectName = (id?: string | null) => projects.value.find((p) => p.id === id)?.name
  const channelName = (id?: string | null) => channels.value.find((c) => c.id === id)?.name
  let index = -1
  return (
    <Modal title='Search' onClose={onClose} wide>
      <div class='search'>
        <input
          class='search-input' type='search' placeholder='Search documents, messages and files…' aria-label='Search'
          aria-controls='search-results' aria-activedescendant={flat.length ? `hit-${active}` : undefined}
          value={q} onInput={(e) => setQ(e.currentTarget.value)} onKeyDown={onKey} autoFocus
        />
        {loading && <Spinner label='Searching…' />}
        {error && <p class='field-error' role='alert'>{error}</p>}
        <div id='search-results' role='listbox' aria-label='Results' class='search-results'>
          {q.trim() && !loading && !error && !hits.length && <p class='muted pad'>Nothing found for “{q.trim()}”.</p>}
          {groups.map((g) => (
            <div key={g.kind} class='search-group' role='group' aria-label={KIND_LABEL[g.kind] ?? g.kind}>
              <div class='search-group-title'>{KIND_LABEL[g.kind] ?? g.kind}</div>
              {g.hits.map((h) => {
                index++
                const i = index
                const author = h.author ? userById.value.get(h.author)?.name : undefined
                return (
                  <div key={h.kind + h.id} id={`hit-${i}`} role='option' aria-selected={i === active} class={'search-hit' + (i === active ? ' active' : '')} data-kind={h.kind} onMouseEnter={() => setActive(i)} onClick={() => go(h)}>
                    <div class='hit-title'>
                      {h.title ? <Marked text={h.title} ranges={h.highlights?.title ?? []} /> : h.kind === 'message' ? <span>{author ?? 'Message'}{channelName(h.channel) ? ` in #${channelName(h.channel)}` : ''}</span> : h.id}
                    </div>
                    {h.snippet && <div class='hit-snippet'><Marked text={h.snippet} ranges={h.highlights?.snippet ?? []} /></div>}
                    <div class='muted small'>{[projectName(h.project), formatTime(h.updated_at)].filter(Boolean).join(' · ')}</div>
                  </div>
                )
              })}
            </div>
          ))}
        </div>
        <p class='muted small'>↑↓ to move, Enter to open, Esc to close</p>
      </div>
    </Modal>
  )
}

import { useEffect, useRef, useState } from 'preact/hooks'
import { api, qs } from '../lib/api'
import { navigate } from '../lib/router'
import { userById, projects } from '../lib/session'
import { channels } from '../chat/store'
import type { SearchHit, SearchResponse } from '../lib/types'
import { highlightSegments, formatTime } from '../lib/text'
import { Modal, Spinner } from '../ui/common'
import type { ComponentChildren } from 'preact'
import { commandsOnly, rank } from '../ui/palette/rank'
import { paletteCommands, quickNavigation, recentPlaces, type PaletteEntry, type PaletteStep } from '../ui/palette/commands'
import '../ui/palette/palette.css'

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

/** One option of the palette's list: a command (or a step's choice) or a search hit. */
type PaletteOption = { kind: 'entry', entry: PaletteEntry } | { kind: 'hit', hit: SearchHit }

/**
 * Ctrl/Cmd-K: the command palette (issue 21) over the search. Commands come first, filtered
 * by what is typed (">" for commands only); search hits follow, as before. Some commands ask
 * a second question in the same box (which project, board or channel; a title): Escape or
 * Backspace on an empty box goes back a step, Escape at the start closes.
 */
export function SearchPalette ({ org, project, onClose }: { org: string, project?: string, onClose: () => void }) {
  const [q, setQ] = useState('')
  const [steps, setSteps] = useState<PaletteStep[]>([])
  const step = steps.length ? steps[steps.length - 1] : null
  const [stepEntries, setStepEntries] = useState<PaletteEntry[] | null>(null)
  const [stepError, setStepError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [hits, setHits] = useState<SearchHit[]>([])
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [active, setActive] = useState(0)
  const input = useRef<HTMLInputElement>(null)
  const seq = useRef(0)
  const { commandsOnly: onlyCommands, term } = commandsOnly(q)
  // Search runs at the first step only, and not for ">…".
  const searchTerm = step || onlyCommands ? '' : term
  useEffect(() => {
    if (!searchTerm) { seq.current++; setHits([]); setLoading(false); setError(null); return }
    const n = ++seq.current
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      setLoading(true)
      api.get<SearchResponse>(`/api/v1/orgs/${org}/search${qs({ q: searchTerm, limit: 30 })}`, { signal: ctrl.signal }).then((r) => {
        if (n !== seq.current) return
        setHits(r.hits)
        setActive(0)
        setError(null)
      }, (e) => { if (e?.name !== 'AbortError' && n === seq.current) setError(e.message) }).finally(() => { if (n === seq.current) setLoading(false) })
    }, 120)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [searchTerm, org])
  // A step's choices, loaded when it opens (boards come from the server).
  useEffect(() => {
    setStepEntries(null)
    setStepError(null)
    if (!step?.entries) return
    let live = true
    Promise.resolve(step.entries()).then((e) => { if (live) setStepEntries(e) }, (e) => { if (live) setStepError(e.message) })
    return () => { live = false }
  }, [step])
  useEffect(() => { input.current?.focus() }, [step])

  let entries: PaletteEntry[]
  // Before anything is typed: the places visited lately, then the commands; typed: both, and
  // the projects and channels by name.
  if (!step) entries = rank(term ? [...paletteCommands({ org, project }), ...quickNavigation(org), ...recentPlaces(org)] : [...recentPlaces(org).slice(0, 5), ...paletteCommands({ org, project })], term)
  else if (step.create) {
    const title = q.trim()
    const create = step.create
    entries = title ? [{ id: 'create', label: `Create ${create.noun} “${title}”`, run: () => create.run(title) }] : []
  } else entries = rank(stepEntries ?? [], q)
  const groups = step ? [] : KIND_ORDER.map((k) => ({ kind: k, hits: hits.filter((h) => h.kind === k) })).filter((g) => g.hits.length)
  const options: PaletteOption[] = [...entries.map((entry) => ({ kind: 'entry' as const, entry })), ...groups.flatMap((g) => g.hits.map((hit) => ({ kind: 'hit' as const, hit })))]
  const current = Math.max(0, Math.min(active, options.length - 1))

  function enter (next: PaletteStep | null) {
    setSteps((s) => next ? [...s, next] : s.slice(0, -1))
    setQ('')
    setActive(0)
    setStepError(null)
  }
  function go (h: SearchHit) {
    const p = hitPath(org, h)
    if (p) { onClose(); navigate(p) }
  }
  async function run (e: PaletteEntry) {
    if (busy) return
    setBusy(true)
    try {
      const next = await e.run()
      if (next) enter(next)
      else onClose()
    } catch (err) {
      setStepError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  function choose (o: PaletteOption) {
    if (o.kind === 'entry') run(o.entry)
    else go(o.hit)
  }
  function onKey (e: KeyboardEvent) {
    if (e.key === 'ArrowDown') { e.preventDefault(); setActive(Math.min(options.length - 1, current + 1)) }
    if (e.key === 'ArrowUp') { e.preventDefault(); setActive(Math.max(0, current - 1)) }
    if (e.key === 'Enter' && options[current]) { e.preventDefault(); choose(options[current]) }
    // Back a step rather than closing (the dialog closes on an Escape that reaches the document).
    if (step && (e.key === 'Escape' || (e.key === 'Backspace' && !q))) { e.preventDefault(); e.stopPropagation(); enter(null) }
  }
  useEffect(() => {
    document.getElementById(`palette-opt-${current}`)?.scrollIntoView({ block: 'nearest' })
  }, [current])
  const projectName = (id?: string | null) => projects.value.find((p) => p.id === id)?.name
  const channelName = (id?: string | null) => channels.value.find((c) => c.id === id)?.name
  const option = (i: number, o: PaletteOption, cls: string, kind: string, body: ComponentChildren) => (
    <div
      key={o.kind === 'entry' ? o.entry.id : o.hit.kind + o.hit.id} id={`palette-opt-${i}`} role='option' aria-selected={i === current}
      class={cls + (i === current ? ' active' : '')} data-kind={kind}
      // Keep the focus in the box, so the keyboard goes on working after a click.
      onMouseDown={(e) => e.preventDefault()} onMouseEnter={() => setActive(i)} onClick={() => choose(o)}
    >{body}
    </div>
  )
  let index = entries.length - 1
  const label = step ? step.title : 'Search or run a command'
  return (
    <Modal title='Search and commands' onClose={onClose} wide>
      <div class='search'>
        {step && (
          <div class='palette-crumb'>
            <button type='button' class='btn-link' onClick={() => enter(null)}>← Back</button>
            <span class='muted small'>{step.title}</span>
          </div>
        )}
        <input
          ref={input} class='search-input' type='text' role='combobox' list={undefined} aria-expanded={options.length > 0} aria-autocomplete='list'
          placeholder={step ? step.placeholder : 'Search, or type a command (“>” for commands only)…'} aria-label={label}
          aria-controls={options.length ? 'palette-options' : undefined} aria-activedescendant={options.length ? `palette-opt-${current}` : undefined}
          value={q} onInput={(e) => { setQ(e.currentTarget.value); setActive(0) }} onKeyDown={onKey} autoFocus
        />
        {(loading || busy || (step?.entries && !stepEntries && !stepError)) && <Spinner label={busy ? 'Working…' : 'Loading…'} />}
        {(error || stepError) && <p class='field-error' role='alert'>{stepError ?? error}</p>}
        {step?.create && !q.trim() && <p class='muted pad'>Type the {step.create.noun}’s title, then Enter.</p>}
        {step?.entries && stepEntries && !entries.length && <p class='muted pad'>{stepEntries.length ? `Nothing matches “${q.trim()}”.` : 'Nothing to choose from.'}</p>}
        {searchTerm && !loading && !error && !hits.length && !entries.length && <p class='muted pad'>Nothing found for “{searchTerm}”.</p>}
        {options.length > 0 && (
          <div id='palette-options' role='listbox' aria-label={step ? step.title : 'Commands and results'} class='search-results'>
            {entries.length > 0 && (
              <div class='search-group' role='group' aria-label={step ? 'Choices' : term ? 'Commands and places' : 'Recent places and commands'}>
                {!step && <div class='search-group-title' aria-hidden='true'>{term ? 'Commands and places' : 'Recent places and commands'}</div>}
                {entries.map((e, i) => option(i, { kind: 'entry', entry: e }, 'search-hit palette-entry', 'command', (
                  <div class='hit-title'><span>{e.label}</span>{e.hint && <span class='muted small'> {e.hint}</span>}</div>
                )))}
              </div>
            )}
            {groups.map((g) => (
              <div key={g.kind} class='search-group' role='group' aria-label={KIND_LABEL[g.kind] ?? g.kind}>
                <div class='search-group-title' aria-hidden='true'>{KIND_LABEL[g.kind] ?? g.kind}</div>
                {g.hits.map((h) => {
                  index++
                  const author = h.author ? userById.value.get(h.author)?.name : undefined
                  return option(index, { kind: 'hit', hit: h }, 'search-hit', h.kind, (
                    <>
                      <div class='hit-title'>
                        {h.title ? <Marked text={h.title} ranges={h.highlights?.title ?? []} /> : h.kind === 'message' ? <span>{author ?? 'Message'}{channelName(h.channel) ? ` in #${channelName(h.channel)}` : ''}</span> : h.id}
                      </div>
                      {h.snippet && <div class='hit-snippet'><Marked text={h.snippet} ranges={h.highlights?.snippet ?? []} /></div>}
                      <div class='muted small'>{[projectName(h.project), formatTime(h.updated_at)].filter(Boolean).join(' · ')}</div>
                    </>
                  ))
                })}
              </div>
            ))}
          </div>
        )}
        <p class='muted small'>↑↓ to move, Enter to run or open, Esc to go back or close</p>
      </div>
    </Modal>
  )
}

// A link field's picker: search the target type's records by name and choose one; shows the
// chosen record's name (fetched once by id) with a way to clear it.
import { useEffect, useState } from 'preact/hooks'
import { recordsApi } from './api'
import type { BizRecord } from '../../lib/types'

export function LinkPicker ({ id, org, to, value, label, invalid, describedBy, disabled, onChange }: { id: string, org: string, to: string, value: string, label: string, invalid?: boolean, describedBy?: string, disabled?: boolean, onChange: (id: string) => void }) {
  const [chosen, setChosen] = useState<BizRecord | null>(null)
  const [q, setQ] = useState('')
  const [results, setResults] = useState<BizRecord[]>([])
  const [open, setOpen] = useState(false)
  const [failed, setFailed] = useState<string | null>(null)
  useEffect(() => {
    if (!value) { setChosen(null); return }
    if (chosen?.id === value) return
    const ctrl = new AbortController()
    recordsApi.get(value, ctrl.signal).then(setChosen, () => setChosen(null))
    return () => ctrl.abort()
  }, [value])
  useEffect(() => {
    if (!open) return
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      recordsApi.list(org, to, { 'name.contains': q.trim() || undefined, sort: 'name', limit: '10' }, ctrl.signal)
        .then((p) => { setResults(p.items); setFailed(null) }, (e) => {
          if (e?.name === 'AbortError') return
          setResults([])
          setFailed(e instanceof Error ? e.message : String(e))
        })
    }, 150)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [q, open, org, to])
  const listId = `${id}-results`
  return (
    <div class='link-picker'>
      {value && (
        <div class='row'>
          <a id={disabled ? id : undefined} href={`/o/${org}/records/${to}/${value}`} data-testid='link-value'>{chosen?.name ?? value}</a>
          {!disabled && <button type='button' class='btn btn-small' aria-label={`Clear ${label}`} onClick={() => onChange('')}>Clear</button>}
        </div>
      )}
      {disabled && !value && <span id={id} class='muted'>—</span>}
      {!disabled && <input
        id={id}
        type='text'
        role='combobox'
        list={undefined}
        aria-expanded={open && results.length > 0}
        aria-controls={open && results.length > 0 ? listId : undefined}
        aria-autocomplete='list'
        aria-invalid={invalid ? 'true' : undefined}
        aria-describedby={describedBy}
        placeholder={value ? 'Search to change…' : 'Search by name…'}
        value={q}
        onFocus={() => setOpen(true)}
        onInput={(e) => { setQ(e.currentTarget.value); setOpen(true) }}
        onKeyDown={(e) => { if (e.key === 'Escape') setOpen(false) }}
      />}
      {open && failed && <small class='field-error' role='status'>Cannot search {to} records: {failed}</small>}
      {open && results.length > 0 && (
        <ul id={listId} role='listbox' class='link-results' aria-label={`Records for ${label}`}>
          {results.map((r) => (
            <li key={r.id} role='option' aria-selected={r.id === value}>
              <button type='button' class='btn-link' onClick={() => { setChosen(r); onChange(r.id); setQ(''); setOpen(false) }}>{r.name}</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

// Small pieces the invoice screens share: the status chip, the client picker (a combobox over
// the org's clients), clients' names for list cells, and money as people read it.
import { useEffect, useRef, useState } from 'preact/hooks'
import { clientsApi, type Client, type InvoiceState } from './api'
import { formatMinor } from './totals'

export const STATE_LABEL: Record<InvoiceState, string> = {
  draft: 'Draft',
  sent: 'Sent',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  overdue: 'Overdue',
  void: 'Void'
}

export function stateLabel (state: string | null | undefined): string {
  return STATE_LABEL[state as InvoiceState] ?? state ?? '—'
}

/** The invoice's status: a colour and always its name. */
export function StatusChip ({ state, testId }: { state: string | null | undefined, testId?: string }) {
  const s = state ?? 'draft'
  return <span class={`status status-${s}`} data-testid={testId} data-state={s}>{stateLabel(s)}</span>
}

/** Minor units of `currency` as text; an absent amount is a dash. */
export function money (minor: unknown, currency: string | null | undefined): string {
  if (typeof minor === 'bigint' || typeof minor === 'number') return formatMinor(minor, currency)
  return '—'
}

const names = new Map<string, string>()
const asked = new Set<string>()

/** Names of the clients of `ids` (fetched once per id and kept for the session). */
export function useClientNames (ids: (string | null | undefined)[]): (id: string | null | undefined) => string | undefined {
  const [, setTick] = useState(0)
  const missing = [...new Set(ids.filter((id): id is string => !!id && !asked.has(id)))]
  useEffect(() => {
    if (!missing.length) return
    for (const id of missing) asked.add(id)
    Promise.all(missing.map((id) => clientsApi.get(id).then((c) => { names.set(id, c.name) }, () => {})))
      .then(() => setTick((n) => n + 1))
  }, [missing.join(',')])
  return (id) => (id ? names.get(id) : undefined)
}

/** Remembers a client's name (one just chosen or loaded). */
export function rememberClient (c: Client): void {
  names.set(c.id, c.name)
  asked.add(c.id)
}

/**
 * Choose one of the org's clients: type to search by name, arrow keys to move, Enter to choose,
 * Escape to close. `value` is the chosen client's id; `onChange` gets the whole client record.
 */
export function ClientPicker ({ id, org, value, label, error, disabled, onChange }: { id: string, org: string, value: string, label: string, error?: string, disabled?: boolean, onChange: (c: Client | null) => void }) {
  const [chosen, setChosen] = useState<Client | null>(null)
  const [q, setQ] = useState('')
  const [open, setOpen] = useState(false)
  const [results, setResults] = useState<Client[]>([])
  const [active, setActive] = useState(0)
  const [failed, setFailed] = useState<string | null>(null)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    if (!value) { setChosen(null); return }
    if (chosen?.id === value) return
    const ctrl = new AbortController()
    clientsApi.get(value, ctrl.signal).then((c) => { rememberClient(c); setChosen(c) }, () => setChosen(null))
    return () => ctrl.abort()
  }, [value])
  useEffect(() => {
    if (!open) return
    const ctrl = new AbortController()
    const t = setTimeout(() => {
      clientsApi.search(org, q, ctrl.signal).then((p) => { setResults(p.items); setActive(0); setFailed(null) }, (e) => {
        if (e?.name === 'AbortError') return
        setResults([])
        setFailed(e instanceof Error ? e.message : String(e))
      })
    }, 120)
    return () => { clearTimeout(t); ctrl.abort() }
  }, [q, open, org])
  function choose (c: Client) {
    rememberClient(c)
    setChosen(c)
    setQ('')
    setOpen(false)
    onChange(c)
  }
  const listId = `${id}-list`
  const errId = `${id}-err`
  const showList = open && results.length > 0
  return (
    <div class={'field combo' + (error ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      {value && (
        <div class='combo-chosen'>
          <strong id={disabled ? id : undefined} data-testid='client-chosen'>{chosen?.name ?? '…'}</strong>
          {chosen?.email && <span class='muted small'>{chosen.email}</span>}
          {!disabled && <button type='button' class='btn btn-small' onClick={() => onChange(null)}>Clear<span class='sr-only'> the client</span></button>}
        </div>
      )}
      {disabled
        ? !value && <input id={id} type='text' disabled value='' />
        : (
          <input
            ref={input}
            id={id}
            type='text'
            role='combobox'
            autoComplete='off'
            aria-expanded={showList}
            aria-controls={showList ? listId : undefined}
            aria-autocomplete='list'
            aria-activedescendant={showList ? `${id}-opt-${active}` : undefined}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? errId : undefined}
            placeholder={value ? 'Search to change…' : 'Search clients by name…'}
            value={q}
            onFocus={() => setOpen(true)}
            onBlur={() => setTimeout(() => setOpen(false), 150)}
            onInput={(e) => { setQ(e.currentTarget.value); setOpen(true) }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); setActive((a) => Math.min(a + 1, results.length - 1)) }
              else if (e.key === 'ArrowUp') { e.preventDefault(); setActive((a) => Math.max(a - 1, 0)) }
              else if (e.key === 'Enter' && showList) { e.preventDefault(); const c = results[active]; if (c) choose(c) }
              else if (e.key === 'Escape' && open) { e.stopPropagation(); setOpen(false) }
            }}
          />
          )}
      {showList && (
        <ul id={listId} role='listbox' class='combo-list' aria-label={`Clients for ${label}`}>
          {results.map((c, i) => (
            <li key={c.id} id={`${id}-opt-${i}`} role='option' aria-selected={i === active} onMouseDown={(e) => { e.preventDefault(); choose(c) }}>
              {c.name}{c.currency ? <span class='muted small'> · {c.currency}</span> : null}
            </li>
          ))}
        </ul>
      )}
      {open && !failed && results.length === 0 && q.trim() !== '' && <small class='muted' role='status'>No client matches “{q.trim()}”.</small>}
      {open && failed && <small class='field-error' role='status'>Cannot search clients: {failed}</small>}
      {error && <small id={errId} class='field-error' role='alert'>{error}</small>}
    </div>
  )
}

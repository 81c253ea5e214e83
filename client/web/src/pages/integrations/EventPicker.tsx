import { useState } from 'preact/hooks'
import { EVENT_GROUPS, KNOWN_PATTERNS, coveredBy, looksLikePattern, togglePattern } from './events'

/**
 * Which events a webhook receives: everything, a whole kind, or single events, plus patterns
 * typed by hand (`record.leave_request.*`). `error` is the server's word on the choice.
 */
export function EventPicker ({ chosen, onChange, error }: { chosen: string[], onChange: (next: string[]) => void, error?: string }) {
  const [custom, setCustom] = useState('')
  const [customError, setCustomError] = useState('')
  const others = chosen.filter((p) => !KNOWN_PATTERNS.has(p))
  const box = (pattern: string, label: string, hint?: string) => {
    const id = `ev-${pattern.replace(/[^a-z0-9]+/g, '-')}`
    const cover = coveredBy(chosen, pattern)
    return (
      <div key={pattern} class='check'>
        <input
          type='checkbox' id={id} checked={chosen.includes(pattern) || cover !== null} disabled={cover !== null}
          onChange={(e) => onChange(togglePattern(chosen, pattern, e.currentTarget.checked))}
        />
        <label for={id}>{label}</label>
        <code class='muted small'>{hint ?? pattern}</code>
      </div>
    )
  }
  function addCustom () {
    const p = custom.trim()
    if (!looksLikePattern(p)) {
      setCustomError('Use an event type such as task.created, or a prefix with .* such as record.leave_request.*')
      return
    }
    setCustomError('')
    setCustom('')
    onChange(togglePattern(chosen, p, true))
  }
  return (
    <fieldset class={'settings-group' + (error ? ' field-invalid' : '')} aria-describedby={error ? 'ev-err' : undefined}>
      <legend>Events</legend>
      {box('*', 'Every event')}
      {EVENT_GROUPS.map((g) => (
        <fieldset key={g.kind} class='settings-group'>
          <legend>{g.label}</legend>
          {box(`${g.kind}.*`, g.all)}
          {g.events.map((e) => box(e.type, e.label))}
        </fieldset>
      ))}
      {others.length > 0 && (
        <ul class='list' aria-label='Other patterns'>
          {others.map((p) => (
            <li key={p} class='list-row'>
              <code class='grow'>{p}</code>
              <button type='button' class='btn btn-small' aria-label={`Remove ${p}`} onClick={() => onChange(chosen.filter((c) => c !== p))}>Remove</button>
            </li>
          ))}
        </ul>
      )}
      <div class='row wrap'>
        <div class={'field' + (customError ? ' field-invalid' : '')}>
          <label for='ev-custom'>Other pattern</label>
          <input
            id='ev-custom' value={custom} placeholder='record.leave_request.*' aria-invalid={customError ? 'true' : undefined}
            aria-describedby={customError ? 'ev-custom-err' : undefined}
            onInput={(e) => setCustom(e.currentTarget.value)}
            onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); addCustom() } }}
          />
          {customError && <small id='ev-custom-err' class='field-error' role='alert'>{customError}</small>}
        </div>
        <button type='button' class='btn' onClick={addCustom}>Add pattern</button>
      </div>
      {error && <small id='ev-err' class='field-error' role='alert'>{error}</small>}
    </fieldset>
  )
}

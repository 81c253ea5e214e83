import type { ComponentChildren } from 'preact'
import { Field } from '../../ui/common'

/** `Field` with suggestions: `list` names a `<datalist>` (any text may still be typed). */
export function SuggestField ({ list, ...props }: Parameters<typeof Field>[0] & { list: string }) {
  return <Field {...props} {...({ list } as object)} />
}

/** A labelled select with its error (422 `fields`) beside it, like `Field` for inputs. */
export function Choice ({ label, id, value, onChange, error, hint, children, required }: {
  label: string
  id: string
  value: string
  onChange: (value: string) => void
  error?: string
  hint?: string
  children: ComponentChildren
  required?: boolean
}) {
  return (
    <div class={'field' + (error ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      <select
        id={id} value={value} required={required} onChange={(e) => onChange(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : hint ? `${id}-hint` : undefined}
      >
        {children}
      </select>
      {hint && !error && <small id={`${id}-hint`} class='hint'>{hint}</small>}
      {error && <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>}
    </div>
  )
}

/** A labelled textarea with its error beside it. */
export function TextBox ({ label, id, value, onInput, error, hint, rows = 3, placeholder, required }: {
  label: string
  id: string
  value: string
  onInput: (value: string) => void
  error?: string
  hint?: string
  rows?: number
  placeholder?: string
  required?: boolean
}) {
  return (
    <div class={'field' + (error ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      <textarea
        id={id} value={value} rows={rows} placeholder={placeholder} required={required}
        onInput={(e) => onInput(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : hint ? `${id}-hint` : undefined}
      />
      {hint && !error && <small id={`${id}-hint`} class='hint'>{hint}</small>}
      {error && <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>}
    </div>
  )
}

/** A group of checkboxes (users, roles) in a fieldset, with its error below. */
export function CheckList ({ legend, id, options, chosen, onChange, error }: {
  legend: string
  id: string
  options: { value: string, label: string }[]
  chosen: string[]
  onChange: (next: string[]) => void
  error?: string
}) {
  return (
    <fieldset class={'settings-group automation-checks' + (error ? ' field-invalid' : '')} aria-describedby={error ? `${id}-err` : undefined}>
      <legend>{legend}</legend>
      {!options.length && <p class='muted small'>None to choose from.</p>}
      {options.map((o) => (
        <div key={o.value} class='check'>
          <input
            type='checkbox' id={`${id}-${o.value}`} checked={chosen.includes(o.value)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))}
          />
          <label for={`${id}-${o.value}`}>{o.label}</label>
        </div>
      ))}
      {error && <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>}
    </fieldset>
  )
}

const OUTCOME_LABEL: Record<string, string> = { pending: 'Pending', done: 'Done', failed: 'Failed', stopped: 'Stopped' }

/** A run's outcome as a chip (colour and word: the word carries the meaning). */
export function OutcomeBadge ({ outcome }: { outcome: string }) {
  return <span class={`role-chip outcome outcome-${outcome}`} data-testid='run-outcome'>{OUTCOME_LABEL[outcome] ?? outcome}</span>
}

// One field of a record form: the widget its type calls for (text, long text, numbers, money in
// major units of the record's currency, percent, date, date and time, duration, yes/no, select,
// multi-select, e-mail, phone, URL, a member, a linked record, a child table), its label, and
// its error beside it. Read-only and computed fields show their value as text.
import type { FieldDef } from '../../lib/types'
import { members } from '../../lib/session'
import { LinkPicker } from './LinkPicker'
import { ChildTable } from './ChildTable'
import { display, fromInput, labelOf, readOnly } from './values'

export interface FieldProps {
  field: FieldDef
  /** Where its errors are: `fee`, `lines[2].quantity`. */
  path: string
  value: unknown
  currency: string
  org: string
  errors: Record<string, string>
  disabled?: boolean
  onChange: (value: unknown) => void
  /** Inside a child table: the label is for screen readers only. */
  compact?: boolean
  /** The accessible name when `compact` (column and row). */
  name?: string
}

export const inputId = (path: string) => 'rf-' + path.replace(/[^a-zA-Z0-9_-]/g, '-')

export function FieldInput (p: FieldProps) {
  const { field, path, compact } = p
  const id = inputId(path)
  const error = p.errors[path]
  const label = labelOf(field)
  const errId = `${id}-err`
  if (field.type === 'table') {
    return (
      <fieldset class={'field field-table' + (error ? ' field-invalid' : '')}>
        <legend>{label}</legend>
        <ChildTable {...p} />
        {error && <small id={errId} class='field-error' role='alert'>{error}</small>}
      </fieldset>
    )
  }
  const widget = readOnly(field)
    ? <output id={id} class='field-value' aria-labelledby={compact ? undefined : `${id}-label`} aria-label={compact ? p.name : undefined} data-testid={`value-${path}`}>{computedText(p) || '—'}</output>
    : widgetFor(p, id, compact ? (p.name ?? label) : label, error ? errId : undefined)
  if (field.type === 'multi_select' && !readOnly(field)) {
    return (
      <fieldset class={'field' + (error ? ' field-invalid' : '')}>
        <legend class={compact ? 'sr-only' : ''}>{compact ? p.name : label}{field.required && !compact ? ' *' : ''}</legend>
        {widget}
        {error && <small id={errId} class='field-error' role='alert'>{error}</small>}
      </fieldset>
    )
  }
  return (
    <div class={'field' + (error ? ' field-invalid' : '') + (field.type === 'boolean' ? ' field-check' : '')}>
      {readOnly(field) && !compact
        ? <span class='field-label' id={`${id}-label`}>{label} <span class='muted small'>({field.computed ? 'computed' : 'read-only'})</span></span>
        : <label for={id} class={compact ? 'sr-only' : ''}>{compact ? p.name : label}{field.required && !compact ? ' *' : ''}</label>}
      {widget}
      {error && <small id={errId} class='field-error' role='alert'>{error}</small>}
    </div>
  )
}

/** A computed value as text (the form holds it as its input text). */
function computedText (p: FieldProps): string {
  if (typeof p.value !== 'string' && typeof p.value !== 'boolean' && !Array.isArray(p.value)) return ''
  const parsed = fromInput(p.field, typeof p.value === 'string' ? p.value : String(p.value), p.currency)
  return parsed.ok ? display(p.field, parsed.value, p.currency) : String(p.value)
}

function widgetFor (p: FieldProps, id: string, label: string, describedBy: string | undefined) {
  const { field } = p
  const text = typeof p.value === 'string' ? p.value : ''
  const common = {
    id,
    disabled: p.disabled,
    'aria-invalid': p.errors[p.path] ? 'true' as const : undefined,
    'aria-describedby': describedBy,
    'aria-label': p.compact ? label : undefined,
    required: field.required && !p.compact
  }
  const onText = (e: Event) => p.onChange((e.currentTarget as HTMLInputElement).value)
  switch (field.type) {
    case 'long_text':
    case 'rich_text':
      return <textarea {...common} rows={4} value={text} onInput={onText} />
    case 'number':
      return <input {...common} inputMode='decimal' value={text} onInput={onText} />
    case 'percent':
      return <span class='input-unit'><input {...common} inputMode='decimal' value={text} onInput={onText} /><span aria-hidden='true'>%</span></span>
    case 'integer':
      return <input {...common} inputMode='numeric' value={text} onInput={onText} />
    case 'money':
      return <span class='input-unit'><span class='muted small' data-testid='currency'>{p.currency}</span><input {...common} inputMode='decimal' value={text} onInput={onText} /></span>
    case 'date':
      return <input {...common} type='date' value={text} onInput={onText} />
    case 'datetime':
      return <input {...common} type='datetime-local' value={text} onInput={onText} />
    case 'duration':
      return <input {...common} placeholder='h:mm' value={text} onInput={onText} />
    case 'boolean':
      return <input {...common} required={false} type='checkbox' checked={p.value === true} onChange={(e) => p.onChange(e.currentTarget.checked)} />
    case 'email':
      return <input {...common} type='email' value={text} onInput={onText} />
    case 'phone':
      return <input {...common} type='tel' value={text} onInput={onText} />
    case 'url':
      return <input {...common} type='url' value={text} onInput={onText} />
    case 'select':
      return (
        <select {...common} value={text} onChange={(e) => p.onChange(e.currentTarget.value)}>
          <option value=''>—</option>
          {(field.options ?? []).map((o) => <option key={o} value={o}>{o}</option>)}
        </select>
      )
    case 'multi_select': {
      const chosen = Array.isArray(p.value) ? p.value as string[] : []
      return (
        <div class='checks'>
          {(field.options ?? []).map((o) => (
            <label key={o} class='check'>
              <input type='checkbox' disabled={p.disabled} checked={chosen.includes(o)} onChange={(e) => p.onChange(e.currentTarget.checked ? [...chosen, o] : chosen.filter((x) => x !== o))} /> {o}
            </label>
          ))}
        </div>
      )
    }
    case 'user':
      return (
        <select {...common} value={text} onChange={(e) => p.onChange(e.currentTarget.value)}>
          <option value=''>Nobody</option>
          {members.value.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
        </select>
      )
    case 'link':
      return field.to
        ? <LinkPicker id={id} org={p.org} to={field.to} value={text} label={label} invalid={!!p.errors[p.path]} describedBy={describedBy} disabled={p.disabled} onChange={(v) => p.onChange(v)} />
        : <input {...common} value={text} onInput={onText} />
    default:
      return <input {...common} value={text} onInput={onText} />
  }
}

// The designer's fields: one card per field (name, type, label, required, unique, default,
// bounds, pattern, options, a link's target type, a child table's own fields), added, removed
// and reordered; the server's errors for a field (`fields[2].options`) shown in its card.
import type { FieldType } from '../../lib/types'
import { move } from './form'
import { FIELD_TYPES, newField, type FieldDraft } from './designer'

const TYPE_LABEL: Record<string, string> = { long_text: 'long text', multi_select: 'multi-select', url: 'URL', datetime: 'date and time', table: 'table (child rows)' }
const typeLabel = (t: string) => TYPE_LABEL[t] ?? t

/** Errors under `prefix` (`fields[2]`), by the rest of their path (`.options` → `options`). */
function errorsUnder (errors: Record<string, string>, prefix: string): [string, string][] {
  return Object.entries(errors).filter(([k]) => k === prefix || k.startsWith(prefix + '.')).map(([k, v]) => [k.slice(prefix.length + 1), v])
}

export function FieldsEditor ({ fields, onChange, errors, prefix, slugs, nested }: { fields: FieldDraft[], onChange: (f: FieldDraft[]) => void, errors: Record<string, string>, prefix: string, slugs: string[], nested?: boolean }) {
  const set = (i: number, patch: Partial<FieldDraft>) => onChange(fields.map((f, j) => j === i ? { ...f, ...patch } : f))
  return (
    <div class='field-drafts'>
      {fields.map((f, i) => {
        const at = `${prefix}[${i}]`
        const own = errorsUnder(errors, at).filter(([k]) => !k.startsWith('fields['))
        const n = f.name || `field ${i + 1}`
        const id = (part: string) => `dz-${at.replace(/[^a-z0-9]/gi, '-')}-${part}`
        return (
          <fieldset key={f.key} class={'field-draft' + (own.length ? ' field-invalid' : '')} data-testid={`draft-${at}`}>
            <legend>{nested ? 'Column' : 'Field'} {i + 1}{f.name ? `: ${f.name}` : ''}</legend>
            <div class='draft-grid'>
              <div class='field'><label for={id('name')}>Name</label><input id={id('name')} value={f.name} pattern='[a-z][a-z0-9_]*' onInput={(e) => set(i, { name: e.currentTarget.value })} /></div>
              <div class='field'>
                <label for={id('type')}>Type</label>
                <select id={id('type')} value={f.type} onChange={(e) => set(i, { type: e.currentTarget.value as FieldType })}>
                  {FIELD_TYPES.filter((t) => !(nested && t === 'table')).map((t) => <option key={t} value={t}>{typeLabel(t)}</option>)}
                </select>
              </div>
              <div class='field'><label for={id('label')}>Label</label><input id={id('label')} value={f.label} onInput={(e) => set(i, { label: e.currentTarget.value })} /></div>
              {f.type !== 'table' && <div class='field'><label for={id('default')}>Default</label><input id={id('default')} value={f.defaultText} onInput={(e) => set(i, { defaultText: e.currentTarget.value })} /></div>}
              {hasBounds(f.type) && (
                <>
                  <div class='field'><label for={id('min')}>{boundLabel(f.type, 'Min')}</label><input id={id('min')} value={f.min} onInput={(e) => set(i, { min: e.currentTarget.value })} /></div>
                  <div class='field'><label for={id('max')}>{boundLabel(f.type, 'Max')}</label><input id={id('max')} value={f.max} onInput={(e) => set(i, { max: e.currentTarget.value })} /></div>
                </>
              )}
              {isText(f.type) && <div class='field'><label for={id('pattern')}>Pattern (regular expression)</label><input id={id('pattern')} value={f.pattern} onInput={(e) => set(i, { pattern: e.currentTarget.value })} /></div>}
              {(f.type === 'select' || f.type === 'multi_select') && <div class='field span-2'><label for={id('options')}>Options (comma separated)</label><input id={id('options')} value={f.options} onInput={(e) => set(i, { options: e.currentTarget.value })} /></div>}
              {f.type === 'link' && (
                <div class='field'>
                  <label for={id('to')}>Links to</label>
                  <select id={id('to')} value={f.to} onChange={(e) => set(i, { to: e.currentTarget.value })}>
                    <option value=''>Choose a type…</option>
                    {slugs.map((s) => <option key={s} value={s}>{s}</option>)}
                  </select>
                </div>
              )}
            </div>
            <div class='row wrap'>
              <label class='check'><input type='checkbox' checked={f.required} onChange={(e) => set(i, { required: e.currentTarget.checked })} /> Required</label>
              {!nested && f.type !== 'table' && <label class='check'><input type='checkbox' checked={f.unique} onChange={(e) => set(i, { unique: e.currentTarget.checked })} /> Unique</label>}
              {f.computed && <span class='muted small'>Computed: {JSON.stringify(f.computed)}</span>}
              <span class='grow' />
              <button type='button' class='btn-icon btn-tiny' aria-label={`Move ${n} up`} disabled={i === 0} onClick={() => onChange(move(fields, i, i - 1))}>↑</button>
              <button type='button' class='btn-icon btn-tiny' aria-label={`Move ${n} down`} disabled={i === fields.length - 1} onClick={() => onChange(move(fields, i, i + 1))}>↓</button>
              <button type='button' class='btn btn-small btn-danger' aria-label={`Remove ${n}`} onClick={() => onChange(fields.filter((_, j) => j !== i))}>Remove</button>
            </div>
            {own.length > 0 && <ul class='field-error' role='alert'>{own.map(([k, v]) => <li key={k}>{k || 'field'} {v}</li>)}</ul>}
            {f.type === 'table' && (
              <div class='table-columns'>
                <h4>Columns of {f.name || 'the table'}</h4>
                <FieldsEditor fields={f.fields} onChange={(cols) => set(i, { fields: cols })} errors={errors} prefix={`${at}.fields`} slugs={slugs} nested />
              </div>
            )}
          </fieldset>
        )
      })}
      <button type='button' class='btn btn-small' onClick={() => onChange([...fields, newField()])}>{nested ? 'Add a column' : 'Add a field'}</button>
    </div>
  )
}

function hasBounds (t: FieldType): boolean {
  return ['text', 'long_text', 'email', 'phone', 'url', 'number', 'integer', 'money', 'percent', 'date', 'datetime', 'duration', 'multi_select'].includes(t)
}

function isText (t: FieldType): boolean {
  return t === 'text' || t === 'long_text' || t === 'email' || t === 'phone' || t === 'url'
}

function boundLabel (t: FieldType, which: string): string {
  if (isText(t)) return `${which} length`
  if (t === 'money') return `${which} (minor units)`
  if (t === 'duration') return `${which} (seconds)`
  if (t === 'datetime') return `${which} (ms since 1970)`
  if (t === 'multi_select') return `${which} choices`
  return which
}

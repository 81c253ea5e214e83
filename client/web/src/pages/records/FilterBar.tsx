// The filters of a list, one control per field by what its type allows (filters.ts): options
// for selects, a from–to range for numbers, money, dates and durations, "contains" for text,
// yes/no for booleans, a member for user fields; and "is empty / has a value" for any of them.
import { useState } from 'preact/hooks'
import type { FieldDef } from '../../lib/types'
import { members } from '../../lib/session'
import { filterKind, isActive, type FieldFilter, type Filters } from './filters'
import { labelOf, indexable } from './values'

export function FilterBar ({ fields, filters, errors, onChange }: { fields: FieldDef[], filters: Filters, errors: Record<string, string>, onChange: (f: Filters) => void }) {
  const usable = fields.filter((f) => indexable(f.type) && filterKind(f.type))
  const [shown, setShown] = useState<string[]>(() => usable.filter((f) => isActive(filters[f.name])).map((f) => f.name))
  const set = (name: string, patch: Partial<FieldFilter>) => onChange({ ...filters, [name]: { ...filters[name], ...patch } })
  const remove = (name: string) => {
    const next = { ...filters }
    delete next[name]
    onChange(next)
    setShown((s) => s.filter((n) => n !== name))
  }
  const hidden = usable.filter((f) => !shown.includes(f.name))
  return (
    <form class='filters record-filters' aria-label='Filters' onSubmit={(e) => e.preventDefault()}>
      {shown.map((name) => {
        const field = usable.find((f) => f.name === name)
        if (!field) return null
        return <FilterControl key={name} field={field} value={filters[name] ?? {}} errors={errors} onChange={(p) => set(name, p)} onRemove={() => remove(name)} />
      })}
      {hidden.length > 0 && (
        <div class='field'>
          <label for='flt-add'>Filter by</label>
          <select id='flt-add' value='' onChange={(e) => { const v = e.currentTarget.value; if (v) setShown((s) => [...s, v]) }}>
            <option value=''>Add a filter…</option>
            {hidden.map((f) => <option key={f.name} value={f.name}>{labelOf(f)}</option>)}
          </select>
        </div>
      )}
    </form>
  )
}

function FilterControl ({ field, value, errors, onChange, onRemove }: { field: FieldDef, value: FieldFilter, errors: Record<string, string>, onChange: (p: Partial<FieldFilter>) => void, onRemove: () => void }) {
  const label = labelOf(field)
  const id = `flt-${field.name}`
  const kind = filterKind(field.type)
  const inputType = field.type === 'date' ? 'date' : field.type === 'datetime' ? 'datetime-local' : 'text'
  const err = errors[`${field.name}.from`] ?? errors[`${field.name}.to`]
  const emptyOnly = value.empty === 'true'
  return (
    <fieldset class='filter' data-testid={`filter-${field.name}`}>
      <legend>{label}</legend>
      {!emptyOnly && kind === 'options' && (
        <div class='checks' role='group' aria-label={`${label} is any of`}>
          {(field.options ?? []).map((o) => (
            <label key={o} class='check'><input type='checkbox' checked={value.any?.includes(o) ?? false} onChange={(e) => onChange({ any: e.currentTarget.checked ? [...(value.any ?? []), o] : (value.any ?? []).filter((x) => x !== o) })} /> {o}</label>
          ))}
        </div>
      )}
      {!emptyOnly && kind === 'range' && (
        <div class='row'>
          <label class='sr-only' for={`${id}-from`}>{label} from</label>
          <input id={`${id}-from`} type={inputType as 'text'} placeholder='from' size={10} value={value.from ?? ''} aria-invalid={errors[`${field.name}.from`] ? 'true' : undefined} onChange={(e) => onChange({ from: e.currentTarget.value })} />
          <span aria-hidden='true'>–</span>
          <label class='sr-only' for={`${id}-to`}>{label} to</label>
          <input id={`${id}-to`} type={inputType as 'text'} placeholder='to' size={10} value={value.to ?? ''} aria-invalid={errors[`${field.name}.to`] ? 'true' : undefined} onChange={(e) => onChange({ to: e.currentTarget.value })} />
        </div>
      )}
      {!emptyOnly && kind === 'text' && (
        <>
          <label class='sr-only' for={`${id}-contains`}>{label} contains</label>
          <input id={`${id}-contains`} type='search' placeholder='contains' value={value.contains ?? ''} onChange={(e) => onChange({ contains: e.currentTarget.value })} />
        </>
      )}
      {!emptyOnly && kind === 'boolean' && (
        <>
          <label class='sr-only' for={`${id}-eq`}>{label} is</label>
          <select id={`${id}-eq`} value={value.eq ?? ''} onChange={(e) => onChange({ eq: e.currentTarget.value || undefined })}>
            <option value=''>Either</option><option value='true'>Yes</option><option value='false'>No</option>
          </select>
        </>
      )}
      {!emptyOnly && kind === 'id' && field.type === 'user' && (
        <>
          <label class='sr-only' for={`${id}-eq`}>{label} is</label>
          <select id={`${id}-eq`} value={value.eq ?? ''} onChange={(e) => onChange({ eq: e.currentTarget.value || undefined })}>
            <option value=''>Anyone</option>
            {members.value.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
          </select>
        </>
      )}
      <label class='sr-only' for={`${id}-empty`}>{label}: empty or not</label>
      <select id={`${id}-empty`} value={value.empty ?? ''} onChange={(e) => onChange({ empty: (e.currentTarget.value || undefined) as FieldFilter['empty'] })}>
        <option value=''>Any</option><option value='true'>Is empty</option><option value='false'>Has a value</option>
      </select>
      <button type='button' class='btn-icon btn-tiny' aria-label={`Remove the ${label} filter`} onClick={onRemove}>×</button>
      {err && <small class='field-error' role='alert'>{err}</small>}
    </fieldset>
  )
}

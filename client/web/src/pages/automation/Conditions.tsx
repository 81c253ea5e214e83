import { Field } from '../../ui/common'
import { Choice, SuggestField } from './bits'
import { OP_LABELS, emptyCondition, takesValue, type ConditionDraft } from './form'
import type { ConditionOp } from './types'

/**
 * The rule's conditions, one row each (field, comparison, value; no value for "changed" and
 * "is empty"); every one must hold. `fields` are the trigger's entity's fields, offered as
 * suggestions (any field name may be typed).
 */
export function Conditions ({ rows, onChange, fields, error }: {
  rows: ConditionDraft[]
  onChange: (next: ConditionDraft[]) => void
  fields: string[]
  error: (...paths: string[]) => string | undefined
}) {
  const set = (i: number, patch: Partial<ConditionDraft>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)))
  const whole = error('conditions')
  return (
    <fieldset class={'settings-group' + (whole ? ' field-invalid' : '')} aria-describedby={whole ? 'conditions-err' : undefined}>
      <legend>Conditions</legend>
      <datalist id='condition-fields'>{fields.map((f) => <option key={f} value={f} />)}</datalist>
      {!rows.length && <p class='muted small'>None: the rule runs on every matching trigger.</p>}
      <ul class='list automation-rows' aria-label='Conditions'>
        {rows.map((r, i) => {
          const p = `conditions[${i}]`
          const rowError = error(p)
          return (
            <li key={r.key} class='automation-row' data-testid='condition'>
              <div class='row wrap'>
                <SuggestField label='Field' name={`cond-${r.key}-field`} value={r.field} list='condition-fields' placeholder='category' required onInput={(e) => set(i, { field: e.currentTarget.value })} error={error(`${p}.field`)} />
                <Choice label='Comparison' id={`cond-${r.key}-op`} value={r.op} onChange={(op) => set(i, { op: op as ConditionOp })} error={error(`${p}.op`)}>
                  {(Object.keys(OP_LABELS) as ConditionOp[]).map((op) => <option key={op} value={op}>{OP_LABELS[op]}</option>)}
                </Choice>
                {takesValue(r.op) && (
                  <Field
                    label={r.op === 'in' ? 'Values (comma-separated)' : 'Value'} name={`cond-${r.key}-value`} value={r.value}
                    placeholder={r.op === 'in' ? 'high, urgent' : 'done'} onInput={(e) => set(i, { value: e.currentTarget.value })} error={error(`${p}.value`)}
                  />
                )}
                <button type='button' class='btn btn-small' aria-label={`Remove condition ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove</button>
              </div>
              {rowError && <small class='field-error' role='alert'>{rowError}</small>}
            </li>
          )
        })}
      </ul>
      <div><button type='button' class='btn btn-small' onClick={() => onChange([...rows, emptyCondition()])}>Add condition</button></div>
      <p class='muted small'>Numbers compare as numbers; <code>actor.roles</code> is the roles of whoever made the change.</p>
      {whole && <small id='conditions-err' class='field-error' role='alert'>{whole}</small>}
    </fieldset>
  )
}

/** The paths of the conditions' errors that the rows show. */
export function conditionPaths (rows: ConditionDraft[]): string[] {
  return ['conditions', ...rows.flatMap((_, i) => [`conditions[${i}]`, `conditions[${i}].field`, `conditions[${i}].op`, `conditions[${i}].value`])]
}

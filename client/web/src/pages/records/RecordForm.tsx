// The form of a record, generated from its type's schema: a widget per field, values checked
// locally by their type and then by the server, whose field errors (`lines[1].quantity`) show
// beside the field they name. A change is sent with the version it was made on: when someone
// else saved in between, the server answers 409 with the record as it is now, and the form says
// so and offers to load it (the person's unsaved values are then replaced).
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import type { BizRecord, RecordType } from '../../lib/types'
import { ErrorBox } from '../../ui/common'
import { recordsApi } from './api'
import { FieldInput, inputId } from './FieldInput'
import { formValues, toWire, type FormValues } from './form'
import { currencyOf } from './values'

export function RecordForm ({ org, type, record, readOnlyWhy, onSaved }: { org: string, type: RecordType, record: BizRecord | null, readOnlyWhy?: string | null, onSaved: (r: BizRecord) => void }) {
  const startCurrency = currencyOf(record ?? defaults(type))
  const [values, setValues] = useState<FormValues>(() => formValues(type.fields, record, startCurrency))
  // The record the values were loaded from: a change is sent against its version, so a save
  // over someone else's newer one is refused (409) rather than silently undoing it.
  const [base, setBase] = useState<BizRecord | null>(record)
  const dirty = useRef(false)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const [stale, setStale] = useState<BizRecord | null>(null)
  // The record changed (saved here, a workflow step, or someone else's change arriving live):
  // shown at once unless there are unsaved edits, which are kept, with a notice.
  useEffect(() => {
    if (!record || (base && record.id === base.id && record.version === base.version)) return
    if (dirty.current && base && record.id === base.id) {
      setStale(record)
      return
    }
    load(record)
  }, [record?.id, record?.version, type.version])
  function load (r: BizRecord) {
    setValues(formValues(type.fields, r, currencyOf(r)))
    setBase(r)
    setErrors({})
    setStale(null)
    dirty.current = false
  }
  const currency = currencyOf(type.fields.some((f) => f.name === 'currency') ? values : record)
  const disabled = !!readOnlyWhy || pending
  async function submit (e: Event) {
    e.preventDefault()
    const { data, errors: local } = toWire(type.fields, values, currency, !base)
    setError(null)
    setErrors(local)
    if (Object.keys(local).length) {
      focusFirst(local)
      return
    }
    setPending(true)
    try {
      const saved = base ? await recordsApi.update(base.id, base.version, data) : await recordsApi.create(org, type.slug, data)
      dirty.current = false
      setBase(saved)
      setStale(null)
      onSaved(saved)
    } catch (err) {
      if (err instanceof ApiError && err.status === 409 && err.details.current) {
        setStale(err.details.current as BizRecord)
      } else if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields)
        setError(unplaced(err, type))
        focusFirst(err.fields)
      } else setError(err)
    } finally {
      setPending(false)
    }
  }
  function reload () {
    if (!stale) return
    const next = stale
    load(next)
    onSaved(next)
  }
  const change = (name: string, v: unknown) => {
    dirty.current = true
    setValues((s) => ({ ...s, [name]: v }))
  }
  return (
    <form class='record-form' onSubmit={submit} noValidate aria-label={record ? `Edit ${record.name}` : `New ${type.name}`}>
      {readOnlyWhy && <p class='banner banner-info' role='status'>{readOnlyWhy}</p>}
      {stale && (
        <div class='error-box' role='alert' data-testid='stale'>
          <span>This record was changed by someone else (now version {stale.version}); your changes are not saved.</span>
          <button type='button' class='btn btn-small' onClick={reload}>Load their version</button>
        </div>
      )}
      <div class='record-fields'>
        {type.fields.map((f) => (
          <div key={f.name} class={f.type === 'table' || f.type === 'long_text' || f.type === 'rich_text' ? 'span-all' : ''}>
            <FieldInput field={f} path={f.name} value={values[f.name]} currency={currency} org={org} errors={errors} disabled={disabled} onChange={(v) => change(f.name, v)} />
          </div>
        ))}
      </div>
      <ErrorBox error={error} />
      {!readOnlyWhy && <div class='row-end'><button class='btn btn-primary' disabled={pending}>{base ? 'Save changes' : `Create ${type.name}`}</button></div>}
    </form>
  )
}

/** The defaults of a new record (its currency before anything is typed). */
function defaults (type: RecordType): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of type.fields) if (f.default !== undefined) out[f.name] = f.default
  return out
}

/** A refusal whose field errors name no field of the form (shown above the button). */
function unplaced (err: ApiError, type: RecordType): ApiError | null {
  const known = (k: string) => type.fields.some((f) => k === f.name || k.startsWith(f.name + '['))
  const rest = Object.entries(err.fields).filter(([k]) => !known(k))
  if (!rest.length) return null
  return new ApiError(err.status, err.code, rest.map(([k, v]) => `${k} ${v}`).join('; '))
}

function focusFirst (errors: Record<string, string>): void {
  const first = Object.keys(errors)[0]
  if (!first) return
  setTimeout(() => document.getElementById(inputId(first))?.focus(), 0)
}

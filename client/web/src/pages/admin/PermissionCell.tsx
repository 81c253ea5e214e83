import { SCOPES, type Scope } from '../../lib/permissions'

/** The ids of the texts the cells point at (one of each on the page, in PermissionTable). */
export const CHANGED_NOTE_ID = 'perm-changed-note'
export const UNSAVED_NOTE_ID = 'perm-unsaved-note'

/**
 * One cell of the permission table: the scope of one (role, resource type, action).
 * `changed`: the draft overrides the default here; `unsaved`: it differs from what is saved.
 */
export function PermissionCell ({ label, shown, changed, unsaved, editable, first, errors, errorId, onChange, onReset }: {
  label: string
  shown: Scope
  changed: boolean
  unsaved: boolean
  editable: boolean
  /** The first column of a resource type (a divider before it). */
  first: boolean
  errors?: string[]
  errorId: string
  onChange: (scope: Scope) => void
  onReset: () => void
}) {
  const cls = 'perm-cell' + (first ? ' perm-first' : '') + (changed ? ' perm-changed' : '') + (unsaved ? ' perm-unsaved' : '') + (errors ? ' perm-invalid' : '')
  const described = [errors ? errorId : '', changed ? CHANGED_NOTE_ID : '', unsaved ? UNSAVED_NOTE_ID : ''].filter(Boolean).join(' ') || undefined
  const marker = changed && <span class='perm-marker' aria-hidden='true' title='Differs from the default'>●</span>
  const error = errors && <small id={errorId} class='field-error'>{errors.join('; ')}</small>
  if (!editable) {
    return (
      <td class={cls} data-scope={shown}>
        <span aria-describedby={described}>{shown}</span>{marker}
        {error}
      </td>
    )
  }
  return (
    <td class={cls} data-scope={shown}>
      <div class='perm-cell-inner'>
        <select aria-label={label} value={shown} onChange={(e) => onChange(e.currentTarget.value as Scope)} aria-invalid={errors ? 'true' : undefined} aria-describedby={described}>
          {SCOPES.map((s) => <option key={s} value={s}>{s}</option>)}
        </select>
        {marker}
        {changed && <button type='button' class='btn-icon btn-tiny perm-reset' onClick={onReset} aria-label={`Reset ${label} to the default`} title='Reset to the default'>↺</button>}
      </div>
      {error}
    </td>
  )
}

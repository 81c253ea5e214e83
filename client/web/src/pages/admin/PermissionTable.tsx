import { useMemo, useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { toast } from '../../lib/session'
import type { Permissions } from '../../lib/types'
import {
  actionLabel, applies, cellKey, isDirty, placeErrors, resetCell, RESOURCE_TYPES, rowsOf, rulesFrom,
  setCell, shownScope, tableFrom, type Draft, type PlacedErrors, type RoleRow
} from '../../lib/permissions'
import { ErrorBox, Spinner, useAsync } from '../../ui/common'
import { CHANGED_NOTE_ID, PermissionCell, UNSAVED_NOTE_ID } from './PermissionCell'

const GROUPS: { group: RoleRow['group'], label: string }[] = [
  { group: 'org', label: 'Organisation roles (organisation, record types, records)' },
  { group: 'project', label: 'Project roles (everything in a project)' },
  { group: 'business', label: 'Business roles (held besides the others)' }
]

function rowLabel (row: RoleRow): string {
  // `viewer` is both an org and a project role: name which one.
  return row.role === 'viewer' ? `viewer (${row.group === 'org' ? 'organisation' : 'project'})` : row.role
}

/**
 * The role × resource type × action table. Rows are roles, columns actions grouped by resource
 * type, cells the scope. The server answers it only to those who may change it (owners and
 * admins by default), so what it answers is editable; the owner's row is fixed. Save replaces
 * the org's overrides; a 422 is shown at the cells of the rules it names and changes nothing.
 */
export function PermissionTable ({ org, businessRoles }: { org: string, businessRoles: string[] }) {
  const perms = useAsync((signal) => api.get<Permissions>(`/api/v1/orgs/${org}/permissions`, { signal }), [org])
  const table = useMemo(() => perms.data && tableFrom(perms.data), [perms.data])
  const [edited, setEdited] = useState<Draft | null>(null)
  const [only, setOnly] = useState('')
  const [saving, setSaving] = useState(false)
  // The last Save's error, its field errors placed on the cells of the rules sent.
  const [failure, setFailure] = useState<{ error: unknown, placed: PlacedErrors } | null>(null)
  const forbidden = perms.error instanceof ApiError && perms.error.status === 403

  const heading = <h2 id='permissions-heading'>Permissions</h2>
  if (forbidden) {
    return (
      <section aria-labelledby='permissions-heading'>
        {heading}
        <p class='banner banner-info' role='note'>Only people who may manage permissions (owners and admins, unless the table says otherwise) can see and change the permission table.</p>
      </section>
    )
  }
  if (perms.error) return <section aria-labelledby='permissions-heading'>{heading}<ErrorBox error={perms.error} retry={perms.reload} /></section>
  if (!table) return <section aria-labelledby='permissions-heading'>{heading}<Spinner /></section>

  const draft = edited ?? table.overrides
  const dirty = isDirty(table, draft)
  const errors = failure?.placed ?? { cells: new Map<string, string[]>(), other: [] }
  const types = RESOURCE_TYPES.filter((t) => !only || t.name === only)
  const rows = rowsOf(businessRoles).filter((r) => types.some((t) => applies(r, t)))
  const columns = types.reduce((n, t) => n + t.actions.length, 0)

  async function save (e: Event) {
    e.preventDefault()
    const rules = rulesFrom(draft)
    setSaving(true)
    setFailure(null)
    try {
      const saved = await api.put<Permissions>(`/api/v1/orgs/${org}/permissions`, { overrides: rules })
      perms.setData(() => saved)
      setEdited(null)
      toast('Permissions saved; they apply from the next request', 'success')
    } catch (error) {
      setFailure({ error, placed: placeErrors(error instanceof ApiError ? error.fields : {}, rules) })
    } finally {
      setSaving(false)
    }
  }
  function discard () {
    setEdited(null)
    setFailure(null)
  }

  return (
    <section aria-labelledby='permissions-heading' data-testid='permissions'>
      {heading}
      <p class='muted'>
        What each role may do: <strong>all</strong> of a kind, only its <strong>own</strong> (what they wrote, created or uploaded), or <strong>none</strong>.
        A person may do what any of their roles allows.
      </p>
      <p class='perm-legend small'>
        <span id={CHANGED_NOTE_ID}><span class='perm-marker' aria-hidden='true'>●</span> differs from the default</span>
        <span id={UNSAVED_NOTE_ID}><span class='perm-legend-unsaved' aria-hidden='true' /> not saved yet</span>
        <span>The owner's row is fixed.</span>
      </p>
      <form onSubmit={save} noValidate>
        <div class='row wrap perm-toolbar'>
          <div class='field'>
            <label for='perm-only'>Resource type</label>
            <select id='perm-only' value={only} onChange={(e) => setOnly(e.currentTarget.value)}>
              <option value=''>All resource types</option>
              {RESOURCE_TYPES.map((t) => <option key={t.name} value={t.name}>{t.label}</option>)}
            </select>
          </div>
          <button class='btn btn-primary' disabled={!dirty || saving}>Save permissions</button>
          <button type='button' class='btn' disabled={!dirty || saving} onClick={discard}>Discard changes</button>
        </div>
        {failure && (
          <div class='error-box' role='alert' data-testid='permission-errors'>
            <div>
              <p class='perm-error-title'>The permissions were not saved: {failure.error instanceof ApiError ? failure.error.message : String(failure.error)}.
                {/* A refusal (4xx) is known to have changed nothing; a lost answer is not. */}
                {failure.error instanceof ApiError && failure.error.status >= 400 && failure.error.status < 500 && ' Nothing was changed.'}</p>
              <ul>
                {[...errors.cells].map(([key, messages]) => <li key={key}>{key.split('/').join(' · ')}: {messages.join('; ')}</li>)}
                {errors.other.map((m) => <li key={m}>{m}</li>)}
              </ul>
            </div>
          </div>
        )}
        <div class='perm-scroll' role='region' aria-labelledby='permissions-heading' tabIndex={0}>
          <table class='perm-table'>
            <caption class='sr-only'>Scope of each action per role; columns are grouped by resource type</caption>
            <thead>
              <tr>
                <th rowSpan={2} scope='col' class='perm-role-head'>Role</th>
                {types.map((t) => <th key={t.name} colSpan={t.actions.length} scope='colgroup' class='perm-type'>{t.label}</th>)}
              </tr>
              <tr>
                {types.flatMap((t) => t.actions.map((a, i) => <th key={`${t.name}-${a}`} scope='col' class={'perm-action' + (i === 0 ? ' perm-first' : '')}>{actionLabel(a)}</th>))}
              </tr>
            </thead>
            {GROUPS.map(({ group, label }) => {
              const inGroup = rows.filter((r) => r.group === group)
              if (!inGroup.length) return null
              return (
                <tbody key={group}>
                  <tr><th colSpan={columns + 1} scope='rowgroup' class='perm-group'>{label}</th></tr>
                  {inGroup.map((row) => (
                    <tr key={`${group}-${row.role}`} data-role={row.role} data-group={group}>
                      <th scope='row' class='perm-role'>{rowLabel(row)}{row.fixed && <span class='muted small'> (fixed)</span>}</th>
                      {types.flatMap((t) => t.actions.map((a, i) => {
                        const first = i === 0 ? ' perm-first' : ''
                        if (!applies(row, t)) return <td key={`${t.name}-${a}`} class={'perm-na' + first}><span aria-hidden='true'>–</span><span class='sr-only'>not applicable</span></td>
                        const key = cellKey(row.role, t.name, a)
                        const cellErrors = errors.cells.get(key)
                        return (
                          <PermissionCell
                            key={key}
                            label={`${rowLabel(row)} · ${t.label} · ${actionLabel(a)}`}
                            shown={shownScope(table, draft, key)}
                            changed={draft.has(key)}
                            unsaved={draft.get(key) !== table.overrides.get(key)}
                            editable={!saving && !row.fixed}
                            first={i === 0}
                            errors={cellErrors}
                            errorId={`perm-err-${row.role}-${t.name}-${a}`}
                            onChange={(scope) => setEdited(setCell(table, draft, key, scope))}
                            onReset={() => setEdited(resetCell(draft, key))}
                          />
                        )
                      }))}
                    </tr>
                  ))}
                </tbody>
              )
            })}
          </table>
        </div>
      </form>
    </section>
  )
}

// The type's own permission rows: for a role (base or business) and an action on its records,
// a scope (all records, only their own, none) that replaces the org's default for that role.
import type { TypePermission } from '../../lib/types'
import { RECORD_ACTIONS } from './designer'

export function PermissionsEditor ({ rows, roles, errors, onChange }: { rows: TypePermission[], roles: string[], errors: Record<string, string>, onChange: (rows: TypePermission[]) => void }) {
  const set = (i: number, p: Partial<TypePermission>) => onChange(rows.map((r, j) => j === i ? { ...r, ...p } : r))
  const perr = Object.entries(errors).filter(([k]) => k.startsWith('permissions'))
  return (
    <div class='stack'>
      <p class='muted small'>Owners and admins may do everything by default; other roles need a row here (or in the organisation’s permission table).</p>
      {rows.length > 0 && (
        <table class='table perm-rows'>
          <thead><tr><th scope='col'>Role</th><th scope='col'>Action</th><th scope='col'>Scope</th><th scope='col'><span class='sr-only'>Remove</span></th></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td>
                  <select aria-label={`Permission ${i + 1} role`} value={r.role} onChange={(e) => set(i, { role: e.currentTarget.value })}>
                    {roles.map((x) => <option key={x} value={x}>{x}</option>)}
                  </select>
                </td>
                <td>
                  <select aria-label={`Permission ${i + 1} action`} value={r.action} onChange={(e) => set(i, { action: e.currentTarget.value })}>
                    {RECORD_ACTIONS.map((x) => <option key={x} value={x}>{x}</option>)}
                  </select>
                </td>
                <td>
                  <select aria-label={`Permission ${i + 1} scope`} value={r.scope} onChange={(e) => set(i, { scope: e.currentTarget.value })}>
                    <option value='all'>all records</option><option value='own'>only their own</option><option value='none'>none</option>
                  </select>
                </td>
                <td><button type='button' class='btn btn-small btn-danger' aria-label={`Remove permission ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class='row wrap'>
        <button type='button' class='btn btn-small' onClick={() => onChange([...rows, { role: roles.includes('member') ? 'member' : roles[0] ?? 'member', action: 'read', scope: 'all' }])}>Add a permission</button>
        <button type='button' class='btn btn-small' onClick={() => onChange([...rows, ...['read', 'write', 'transition', 'export'].map((action) => ({ role: 'member', action, scope: 'all' }))])}>Let members read, write, take steps and export</button>
      </div>
      {perr.length > 0 && <ul class='field-error' role='alert'>{perr.map(([k, v]) => <li key={k}>{k} {v}</li>)}</ul>}
    </div>
  )
}

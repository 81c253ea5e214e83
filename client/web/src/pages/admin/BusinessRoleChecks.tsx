import type { BusinessRole } from '../../lib/types'

/**
 * A checkbox per business role, each described by its description; `error` is the 422 field
 * error about the choice. `name` keeps the ids of several pickers on one page apart.
 */
export function BusinessRoleChecks ({ name, legend, roles, chosen, onChange, error, disabled }: {
  name: string
  legend: string
  roles: BusinessRole[]
  chosen: string[]
  onChange: (next: string[]) => void
  error?: string
  disabled?: boolean
}) {
  const errorId = `${name}-err`
  function toggle (role: string, on: boolean) {
    const next = on ? [...chosen.filter((r) => r !== role), role] : chosen.filter((r) => r !== role)
    // In the order the org lists its roles, so the request and the screen agree.
    onChange(roles.map((r) => r.name).filter((r) => next.includes(r)))
  }
  return (
    <fieldset class={'settings-group role-checks' + (error ? ' field-invalid' : '')} disabled={disabled} aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {!roles.length && <p class='muted small'>This organisation has no business roles.</p>}
      {roles.map((r) => {
        const id = `${name}-${r.name}`
        return (
          <div key={r.name} class='check role-check'>
            <input type='checkbox' id={id} name={id} checked={chosen.includes(r.name)} onChange={(e) => toggle(r.name, e.currentTarget.checked)} aria-describedby={r.description ? `${id}-desc` : undefined} />
            <label for={id}>{r.name}</label>
            {r.description && <span id={`${id}-desc`} class='muted small'>{r.description}</span>}
          </div>
        )
      })}
      {error && <small id={errorId} class='field-error' role='alert'>{error}</small>}
    </fieldset>
  )
}

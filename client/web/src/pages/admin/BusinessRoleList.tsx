import type { BusinessRole } from '../../lib/types'

/** The org's business roles with what each is for; built-in ones are marked. */
export function BusinessRoleList ({ roles }: { roles: BusinessRole[] }) {
  return (
    <ul class='list' data-testid='business-roles'>
      {roles.map((r) => (
        <li key={r.name} class='list-row' data-testid='business-role'>
          <span class='grow'>
            <strong>{r.name}</strong>{r.built_in && <span class='role-chip'>built-in</span>}
            <br /><span class='muted'>{r.description || 'No description'}</span>
          </span>
        </li>
      ))}
    </ul>
  )
}

/** A member's business roles as small labels (nothing when they hold none). */
export function RoleChips ({ roles }: { roles?: string[] }) {
  if (!roles?.length) return null
  return (
    <ul class='role-chips' aria-label='Business roles'>
      {roles.map((r) => <li key={r} class='role-chip'>{r}</li>)}
    </ul>
  )
}

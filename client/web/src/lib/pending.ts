// An invitation link survives the steps before it can be accepted (log in or sign up, then
// verify the address, maybe in another tab): its token waits in localStorage until it is
// accepted or found spent.

const KEY = 'atrium.invitation'

export function pendingInvitation (): string | null {
  try { return localStorage.getItem(KEY) } catch { return null }
}

export function keepInvitation (token: string): void {
  try { localStorage.setItem(KEY, token) } catch {}
}

export function forgetInvitation (): void {
  try { localStorage.removeItem(KEY) } catch {}
}

/** The in-app path of the pending invitation, if one waits. */
export function pendingInvitationPath (): string | null {
  const token = pendingInvitation()
  return token ? `/invitations?token=${encodeURIComponent(token)}` : null
}

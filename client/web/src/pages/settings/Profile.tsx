import { useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { me, setMeUser, toast } from '../../lib/session'
import type { User } from '../../lib/types'
import { Avatar, Empty, ErrorBox, Field, useSubmit } from '../../ui/common'
import { ProfilePicture } from './ProfilePicture'

/** Picture, name, handle, and the organisations one belongs to. */
export function Profile () {
  const m = me.value!
  const [name, setName] = useState(m.user.name)
  const [handle, setHandle] = useState(m.user.handle)
  const s = useSubmit()
  const changed = name.trim() !== m.user.name || handle.trim().replace(/^@/, '').toLowerCase() !== m.user.handle
  async function save (e: Event) {
    e.preventDefault()
    const body: { name?: string, handle?: string } = {}
    if (name.trim() !== m.user.name) body.name = name
    if (handle.trim().replace(/^@/, '').toLowerCase() !== m.user.handle) body.handle = handle
    const user = await s.run(() => api.patch<User>('/api/v1/me', body))
    if (user) {
      setMeUser(user)
      setName(user.name)
      setHandle(user.handle)
      toast('Profile saved', 'success')
    }
  }
  // 409: the handle belongs to someone else; shown on the handle field like a 422.
  const taken = s.error instanceof ApiError && s.error.status === 409 && s.error.code === 'handle_taken'
  const handleError = s.fields.handle ?? (taken ? `@${handle.trim().replace(/^@/, '').toLowerCase()} is taken; choose another handle` : undefined)
  const otherError = Object.keys(s.fields).length || taken ? null : s.error
  return (
    <div class='stack'>
      <div class='row'><Avatar id={m.user.id} name={m.user.name} size={48} /><div><strong data-testid='profile-name'>{m.user.name}</strong><div class='muted'>@{m.user.handle} · {m.user.email}</div></div></div>
      <ProfilePicture />
      <form class='stack narrow-form' onSubmit={save} aria-label='Profile' noValidate>
        <Field label='Display name' name='profile-name' autoComplete='name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
        <Field label='Handle' name='profile-handle' autoComplete='username' spellcheck={false} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} error={handleError} hint='People mention you as @handle. Letters, digits, “.”, “_” and “-”.' />
        <ErrorBox error={otherError} />
        <div><button class='btn btn-primary' disabled={s.pending || !changed}>Save profile</button></div>
      </form>
      <h2>Organisations</h2>
      {m.orgs.length ? <ul class='list'>{m.orgs.map((o) => <li key={o.id} class='list-row'><a class='grow' href={`/o/${o.id}`}>{o.name}</a><span class='muted'>{o.role}</span></li>)}</ul> : <Empty title='You are in no organisation yet' />}
    </div>
  )
}

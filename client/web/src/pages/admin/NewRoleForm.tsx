import { useState } from 'preact/hooks'
import { api, ApiError } from '../../lib/api'
import { toast } from '../../lib/session'
import type { BusinessRole } from '../../lib/types'
import { ErrorBox, Field, useSubmit } from '../../ui/common'

/** Define a business role; the server's 422 (and a name already taken) show at the field. */
export function NewRoleForm ({ org, onCreated }: { org: string, onCreated: (role: BusinessRole) => void }) {
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const s = useSubmit()
  async function create (e: Event) {
    e.preventDefault()
    const role = await s.run(() => api.post<BusinessRole>(`/api/v1/orgs/${org}/roles`, { name, description }))
    if (role) {
      toast(`The role ${role.name} was created`, 'success')
      setName('')
      setDescription('')
      onCreated(role)
    }
  }
  // A name already in use is a 409 without field errors; it is still about the name.
  const taken = s.error instanceof ApiError && s.error.code === 'role_exists' ? s.error.message : undefined
  const nameError = s.fields.name ?? taken
  return (
    <form class='stack narrow-form' onSubmit={create} aria-labelledby='new-role-heading' data-testid='new-role' noValidate>
      <h3 id='new-role-heading'>Define a role</h3>
      <Field label='Name' name='role-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={nameError} hint='Lowercase letters, digits, - or _, e.g. auditor' autoComplete='off' />
      <Field label='Description' name='role-description' value={description} onInput={(e) => setDescription(e.currentTarget.value)} error={s.fields.description} hint='What people holding it do' autoComplete='off' />
      <ErrorBox error={Object.keys(s.fields).length || taken ? null : s.error} />
      <div><button class='btn btn-primary' disabled={s.pending}>Create role</button></div>
    </form>
  )
}

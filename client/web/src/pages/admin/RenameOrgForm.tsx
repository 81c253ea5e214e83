import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, refreshMe, toast } from '../../lib/session'
import type { Org } from '../../lib/types'
import { ErrorBox, Field, useSubmit } from '../../ui/common'

/** Organisation settings → the organisation's name (owners and admins). */
export function RenameOrgForm ({ org }: { org: string }) {
  const current = me.value?.orgs.find((o) => o.id === org)?.name ?? ''
  const [name, setName] = useState(current)
  const s = useSubmit()
  async function save (e: Event) {
    e.preventDefault()
    const saved = await s.run(() => api.patch<Org>(`/api/v1/orgs/${org}`, { name }))
    if (saved) {
      setName(saved.name)
      // The switcher and every page naming the organisation read it from `me`.
      await refreshMe()
      toast('Organisation renamed', 'success')
    }
  }
  return (
    <form class='stack narrow-form' onSubmit={save} aria-label='Organisation name' noValidate>
      <h2>Name</h2>
      <Field label='Organisation name' name='org-name' autoComplete='organization' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
      <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
      <div><button class='btn btn-primary' disabled={s.pending || name.trim() === current}>Rename</button></div>
    </form>
  )
}

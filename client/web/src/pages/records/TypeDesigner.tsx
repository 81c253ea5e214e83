// The type designer (for those who may manage record types: owners and admins by default):
// define a custom type or change one — its fields and their rules, child tables, naming series,
// workflow and per-role permissions — and archive or restore it. The server checks the whole
// definition (and a change against the records that exist); its field errors show where they
// belong (`fields[2].options` in that field's card). A change is sent against the version read.
import { useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { navigate } from '../../lib/router'
import { toast } from '../../lib/session'
import type { RecordType } from '../../lib/types'
import { BASE_ROLES } from '../../lib/permissions'
import { ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { useBusinessRoles } from '../admin/useBusinessRoles'
import { typesApi } from './api'
import { draftOf, emptyDraft, schemaOf, slugOf, type TypeDraft } from './designer'
import { FieldsEditor } from './FieldsEditor'
import { PermissionsEditor } from './PermissionsEditor'
import { typesChanged } from './RecordsNav'
import { NamingEditor, WorkflowEditor } from './WorkflowEditor'

export function TypeDesigner ({ org, type: slug }: { org: string, type?: string }) {
  const existing = useAsync((signal) => slug ? typesApi.get(org, slug, signal) : Promise.resolve(null), [org, slug])
  const types = useAsync((signal) => typesApi.list(org, signal), [org])
  useTitle(slug ? `Design ${existing.data?.name ?? slug}` : 'New record type')
  if (existing.error) return <section class='page'><ErrorBox error={existing.error} retry={existing.reload} /></section>
  if (existing.loading && !existing.data) return <section class='page'><Spinner /></section>
  return <Designer key={`${slug}:${existing.data?.version ?? 0}`} org={org} type={existing.data ?? null} slugs={(types.data?.items ?? []).map((t) => t.slug)} />
}

function Designer ({ org, type, slugs }: { org: string, type: RecordType | null, slugs: string[] }) {
  const [draft, setDraft] = useState<TypeDraft>(() => type ? draftOf(type) : emptyDraft())
  const [slugEdited, setSlugEdited] = useState(!!type)
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const roles = useBusinessRoles(org)
  const roleNames = [...BASE_ROLES, ...(roles.data?.items ?? []).map((r) => r.name)]
  const set = (p: Partial<TypeDraft>) => setDraft((d) => ({ ...d, ...p }))
  const linkable = [...new Set([...slugs, ...(draft.slug ? [draft.slug] : [])])]
  if (type?.builtin) return <section class='page'><h1>{type.name}</h1><p>Built-in types are defined by the server and cannot be changed here.</p></section>
  async function save (archived?: boolean) {
    setPending(true)
    setErrors({})
    setError(null)
    try {
      const body = schemaOf(draft)
      const saved = type
        ? await typesApi.update(org, type.slug, { ...body, version: type.version, archived: archived ?? type.archived })
        : await typesApi.create(org, { ...body, slug: draft.slug.trim() })
      toast(type ? (archived === undefined ? `${saved.name} saved (version ${saved.version})` : archived ? `${saved.name} archived` : `${saved.name} restored`) : `${saved.name} created`, 'success')
      typesChanged.value++
      navigate(`/o/${org}/records/${saved.slug}`)
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.fields).length) {
        setErrors(e.fields)
        setError(new Error(`${e.message} — see the marked parts below.`))
      } else setError(e)
    } finally { setPending(false) }
  }
  return (
    <section class='page type-designer'>
      <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/records`}>Records</a> › {type ? <a href={`/o/${org}/records/${type.slug}`}>{type.name}</a> : 'New type'}</nav>
      <h1>{type ? `Design ${type.name}` : 'New record type'}</h1>
      <form class='stack' onSubmit={(e) => { e.preventDefault(); save() }} noValidate>
        <div class='draft-grid'>
          <div class={'field' + (errors.name ? ' field-invalid' : '')}>
            <label for='ty-name'>Type name</label>
            <input id='ty-name' value={draft.name} aria-invalid={errors.name ? 'true' : undefined} onInput={(e) => { const name = e.currentTarget.value; set(slugEdited ? { name } : { name, slug: slugOf(name) }) }} />
            {errors.name && <small class='field-error' role='alert'>{errors.name}</small>}
          </div>
          <div class={'field' + (errors.slug ? ' field-invalid' : '')}>
            <label for='ty-slug'>Slug (in addresses and links)</label>
            <input id='ty-slug' value={draft.slug} disabled={!!type} aria-invalid={errors.slug ? 'true' : undefined} onInput={(e) => { setSlugEdited(true); set({ slug: e.currentTarget.value }) }} />
            {errors.slug && <small class='field-error' role='alert'>{errors.slug}</small>}
          </div>
        </div>
        <section aria-labelledby='dz-fields'>
          <h2 id='dz-fields'>Fields</h2>
          <FieldsEditor fields={draft.fields} onChange={(fields) => set({ fields })} errors={errors} prefix='fields' slugs={linkable} />
        </section>
        <section aria-labelledby='dz-workflow'>
          <h2 id='dz-workflow'>Workflow</h2>
          <label class='check'><input type='checkbox' checked={draft.workflow} onChange={(e) => set({ workflow: e.currentTarget.checked })} /> Records follow a workflow</label>
          {draft.workflow && <WorkflowEditor states={draft.states} transitions={draft.transitions} amendFrom={draft.amendFrom} errors={errors} onStates={(states) => set({ states })} onTransitions={(transitions) => set({ transitions })} onAmendFrom={(amendFrom) => set({ amendFrom })} />}
        </section>
        <section aria-labelledby='dz-naming'>
          <h2 id='dz-naming'>Naming</h2>
          <NamingEditor naming={draft.naming} workflow={draft.workflow} errors={errors} onChange={(naming) => set({ naming })} />
        </section>
        <section aria-labelledby='dz-perms'>
          <h2 id='dz-perms'>Permissions</h2>
          <PermissionsEditor rows={draft.permissions} roles={roleNames} errors={errors} onChange={(permissions) => set({ permissions })} />
        </section>
        <ErrorBox error={error} />
        <div class='row-end'>
          {type && <button type='button' class='btn' disabled={pending} onClick={() => save(!type.archived)}>{type.archived ? 'Restore the type' : 'Archive the type'}</button>}
          <button class='btn btn-primary' disabled={pending}>{type ? 'Save the type' : 'Create the type'}</button>
        </div>
      </form>
    </section>
  )
}

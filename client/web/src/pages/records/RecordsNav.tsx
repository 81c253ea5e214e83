// The record types under "Records" in the sidebar while the Records area is open: the types
// the caller may read (archived ones left out), each linking to its list.
import { signal } from '@preact/signals'
import { path } from '../../lib/router'
import { useAsync } from '../../ui/common'
import { typesApi } from './api'

/** Bumped when a type is created, changed or archived here: the list is read again. */
export const typesChanged = signal(0)

export function RecordsNav ({ org }: { org: string }) {
  const types = useAsync((abort) => typesApi.list(org, abort), [org, typesChanged.value])
  const shown = (types.data?.items ?? []).filter((t) => t.can.read && !t.archived)
  if (!shown.length) return null
  return (
    <div class='nav-sub' data-testid='records-nav'>
      {shown.map((t) => {
        const href = `/o/${org}/records/${t.slug}`
        const active = path.value === href || path.value.startsWith(href + '/')
        return <a key={t.slug} class={'nav-item' + (active ? ' active' : '')} href={href} aria-current={active ? 'page' : undefined}>{t.name}</a>
      })}
    </div>
  )
}

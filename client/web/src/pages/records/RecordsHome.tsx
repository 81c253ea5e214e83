// The Records area's start: the record types (built-in and custom) the caller may read, each
// opening its list; for those who may manage types, "New type" and a designer link per custom
// type. Archived types are listed apart (their records stay readable).
import { orgCan } from '../../lib/session'
import type { RecordType } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { typesApi } from './api'

export function RecordsHome ({ org }: { org: string }) {
  useTitle('Records')
  const types = useAsync((signal) => typesApi.list(org, signal), [org])
  const all = (types.data?.items ?? []).filter((t) => t.can.read)
  const manage = !!orgCan(org)?.manage
  const active = all.filter((t) => !t.archived)
  const archived = all.filter((t) => t.archived)
  return (
    <section class='page'>
      <div class='page-head'>
        <h1>Records</h1>
        {manage && <a class='btn btn-primary' href={`/o/${org}/records/new-type`}>New record type</a>}
      </div>
      <ErrorBox error={types.error} retry={types.reload} />
      {!types.data
        ? (types.error ? null : <Spinner />)
        : !all.length
            ? <Empty title='No record types you can read'>{manage ? 'Define one with “New record type”.' : 'Ask an administrator for access.'}</Empty>
            : (
              <>
                <TypeCards org={org} types={active} manage={manage} />
                {archived.length > 0 && <><h2>Archived</h2><TypeCards org={org} types={archived} manage={manage} /></>}
              </>
              )}
    </section>
  )
}

function TypeCards ({ org, types, manage }: { org: string, types: RecordType[], manage: boolean }) {
  return (
    <ul class='cards' data-testid='record-types'>
      {types.map((t) => (
        <li key={t.slug} class='card'>
          <a class='card-link' href={`/o/${org}/records/${t.slug}`}><strong>{t.name}</strong></a>
          <p class='muted small'>{t.builtin ? 'Built-in' : 'Custom'} · {t.fields.length} field{t.fields.length === 1 ? '' : 's'}{t.workflow ? ` · ${t.workflow.states.length} states` : ''}</p>
          {manage && !t.builtin && <a class='small' href={`/o/${org}/records/${t.slug}/design`} aria-label={`Design ${t.name}`}>Design</a>}
        </li>
      ))}
    </ul>
  )
}

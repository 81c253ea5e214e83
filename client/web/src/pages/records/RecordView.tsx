// One record: its generated form, its workflow steps and its attached files, with its discussion
// and history beside it. It stays live: someone else's change arrives as an event and, while
// nothing is being edited here, is shown at once; a save on an older version is refused with
// "changed by someone else" (RecordForm); files and comments arrive as they are added.
import { useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { toast, toastError } from '../../lib/session'
import type { BizRecord, RecordType } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle, confirmDialog } from '../../ui/common'
import { recordsApi, typesApi } from './api'
import { RecordAttachments } from './RecordAttachments'
import { RecordDiscussion } from './RecordDiscussion'
import { RecordForm } from './RecordForm'
import { RecordHistory } from './RecordHistory'
import { WorkflowBar } from './WorkflowBar'
import { useRecordsLive } from './useRecordsLive'
import { currencyOf } from './values'

export function RecordView ({ org, type: slug, record: id }: { org: string, type: string, record: string }) {
  const type = useAsync((signal) => typesApi.get(org, slug, signal), [org, slug])
  const rec = useAsync((signal) => recordsApi.get(id, signal), [id])
  const r = rec.data
  const steps = useAsync((signal) => recordsApi.transitions(id, signal), [id, r?.version, r?.state])
  const [removed, setRemoved] = useState(false)
  useTitle(r ? `${r.name} · ${type.data?.name ?? ''}` : type.data?.name)
  useRecordsLive(slug, {
    // An event carries what its author may do with the record, not this reader: keep our own `can`.
    onRecord: (next) => { if (next.id === id) rec.setData((cur) => !cur ? next : next.version > cur.version ? { ...next, can: cur.can } : cur) },
    onRemoved: (gone) => { if (gone === id) setRemoved(true) },
    onResync: () => rec.reload()
  })
  if (type.error || rec.error) return <section class='page'><ErrorBox error={type.error ?? rec.error} retry={() => { type.reload(); rec.reload() }} /></section>
  if (!type.data || !r) return <section class='page'><Spinner /></section>
  const t: RecordType = type.data
  if (removed) return <section class='page'><Empty title='This record was deleted'><a href={`/o/${org}/records/${slug}`}>Back to {t.name}</a></Empty></section>
  const final = t.workflow?.states.find((s) => s.name === r.state)?.final_state
  const readOnlyWhy = final
    ? `This record is ${r.state}: it can no longer be changed${t.workflow?.amend_from === r.state ? ' (amend it to make a corrected copy)' : ''}.`
    : !r.can.write ? 'You may read this record but not change it.' : null
  const saved = (next: BizRecord) => rec.setData(() => next)
  async function remove () {
    if (!r || !await confirmDialog({ title: `Delete ${r.name}?`, message: 'This cannot be undone.', action: 'Delete', danger: true })) return
    try {
      await recordsApi.remove(r.id)
      toast(`${r.name} deleted`, 'success')
      navigate(`/o/${org}/records/${slug}`)
    } catch (e) { toastError(e) }
  }
  return (
    <section class='page record-page'>
      <div class='record-main'>
        <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/records`}>Records</a> › <a href={`/o/${org}/records/${slug}`}>{t.name}</a></nav>
        <div class='page-head'>
          <h1 data-testid='record-name'>{r.name}</h1>
          <div class='row'>
            {r.amended_from && <a class='btn btn-small' href={`/o/${org}/records/${slug}/${r.amended_from}`}>Amended from…</a>}
            {r.can.delete && !final && <button class='btn btn-small btn-danger' onClick={remove}>Delete</button>}
          </div>
        </div>
        <WorkflowBar type={t} record={r} steps={steps.data?.items ?? []} onDone={saved} onAmended={(a) => navigate(`/o/${org}/records/${slug}/${a.id}`)} />
        <RecordForm org={org} type={t} record={r} readOnlyWhy={readOnlyWhy} onSaved={(next) => { saved(next); toast('Saved', 'success', 2500) }} />
        <RecordAttachments org={org} record={r} />
      </div>
      <aside class='record-aside' aria-label='Discussion and history'>
        <RecordDiscussion org={org} recordId={r.id} />
        <RecordHistory recordId={r.id} version={r.version} fields={t.fields} currency={currencyOf(r)} />
      </aside>
    </section>
  )
}

/** A new record of a type: its empty form (defaults filled); saving opens the record. */
export function NewRecord ({ org, type: slug }: { org: string, type: string }) {
  const type = useAsync((signal) => typesApi.get(org, slug, signal), [org, slug])
  useTitle(type.data ? `New ${type.data.name}` : 'New record')
  if (type.error) return <section class='page'><ErrorBox error={type.error} retry={type.reload} /></section>
  if (!type.data) return <section class='page'><Spinner /></section>
  const t = type.data
  return (
    <section class='page'>
      <nav class='small' aria-label='Breadcrumb'><a href={`/o/${org}/records`}>Records</a> › <a href={`/o/${org}/records/${slug}`}>{t.name}</a></nav>
      <h1>New {t.name}</h1>
      {!t.can.create
        ? <Empty title={`You may not create ${t.name} records`} />
        : <RecordForm org={org} type={t} record={null} readOnlyWhy={t.archived ? 'This type is archived: no new records.' : null} onSaved={(r) => navigate(`/o/${org}/records/${slug}/${r.id}`, { replace: true })} />}
    </section>
  )
}

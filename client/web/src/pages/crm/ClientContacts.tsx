// A client's contacts: a table (name, role, e-mail, phone), a new contact added in place with
// the contact type's generated form (its client already chosen), and each contact edited in
// place in its row.
import type { Client } from '../invoices/api'
import { toast } from '../../lib/session'
import type { RecordType } from '../../lib/types'
import { ErrorBox, Spinner } from '../../ui/common'
import { RecordForm } from '../records/RecordForm'
import type { Contact } from './api'
import { withDefaults } from './bits'
import type { Editing } from './ClientPage'

/** A list loaded by `useAsync` (every page of it). */
export interface Loaded<T> {
  data?: { items: T[], complete: boolean }
  error?: unknown
  loading: boolean
  reload: () => void
  setData: (f: (d: { items: T[], complete: boolean } | undefined) => { items: T[], complete: boolean }) => void
}

/** `next` in place of the record of its id (added when new), keeping the list's order. */
export function upsert<T extends { id: string }> (d: { items: T[], complete: boolean } | undefined, next: T): { items: T[], complete: boolean } {
  const items = d?.items ?? []
  const i = items.findIndex((x) => x.id === next.id)
  return { complete: d?.complete ?? true, items: i < 0 ? [...items, next] : items.map((x) => x.id === next.id ? next : x) }
}

export function ClientContacts ({ org, client, type, list, editing, setEditing }: { org: string, client: Client, type: RecordType, list: Loaded<Contact>, editing: Editing, setEditing: (e: Editing) => void }) {
  const items = list.data?.items ?? []
  const formType = withDefaults(type, { client: client.id })
  const adding = editing === 'contact:new'
  const saved = (c: Contact, verb: string) => {
    list.setData((d) => upsert(d, c))
    setEditing(null)
    toast(`${c.name} ${verb}`, 'success', 2500)
  }
  return (
    <section class='crm-section' aria-labelledby='contacts-head' data-testid='contacts'>
      <div class='section-head'>
        <h2 id='contacts-head'>Contacts <span class='muted small'>({items.length}{list.data && !list.data.complete ? '+' : ''})</span></h2>
        {type.can.create && !adding && <button type='button' class='btn btn-small' onClick={() => setEditing('contact:new')}>Add contact</button>}
      </div>
      <ErrorBox error={list.error} retry={list.reload} />
      {adding && (
        <div class='inline-form' data-testid='new-contact'>
          <div class='section-head'><h3>New contact</h3><button type='button' class='btn btn-small' onClick={() => setEditing(null)}>Cancel</button></div>
          <RecordForm org={org} type={formType} record={null} onSaved={(c) => saved(c as Contact, 'added')} />
        </div>
      )}
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? !adding && <p class='muted'>No contacts yet.</p>
            : (
              <div class='inv-table-wrap'>
                <table class='inv-table' data-testid='contacts-table'>
                  <caption class='sr-only'>Contacts at {client.name}</caption>
                  <thead>
                    <tr>
                      <th scope='col'>Name</th>
                      <th scope='col'>Role</th>
                      <th scope='col'>E-mail</th>
                      <th scope='col'>Phone</th>
                      <th scope='col'><span class='sr-only'>Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((c) => editing === `contact:${c.id}`
                      ? (
                        <tr key={c.id} data-contact={c.id} class='editing'>
                          <td colSpan={5}>
                            <div class='inline-form'>
                              <div class='section-head'><h3>Edit {c.name}</h3><button type='button' class='btn btn-small' onClick={() => setEditing(null)}>Cancel</button></div>
                              <RecordForm org={org} type={formType} record={c} onSaved={(next) => saved(next as Contact, 'saved')} />
                            </div>
                          </td>
                        </tr>
                        )
                      : (
                        <tr key={c.id} data-contact={c.id}>
                          <th scope='row'>{c.name}</th>
                          <td>{c.role || <span class='muted'>—</span>}</td>
                          <td>{c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : <span class='muted'>—</span>}</td>
                          <td>{c.phone ? <a href={`tel:${c.phone}`}>{c.phone}</a> : <span class='muted'>—</span>}</td>
                          <td class='num'>{c.can.write && <button type='button' class='btn btn-small' onClick={() => setEditing(`contact:${c.id}`)}>Edit<span class='sr-only'> {c.name}</span></button>}</td>
                        </tr>
                        ))}
                  </tbody>
                </table>
              </div>
              )}
    </section>
  )
}

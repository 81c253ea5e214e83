import { useEffect, useState } from 'preact/hooks'
import { Field } from '../../ui/common'
import type { Board, BoardSummary } from '../../lib/types'

export type Column = Board['columns'][number]
import { CheckList, Choice, SuggestField, TextBox } from './bits'
import { ACTION_LABELS, emptyAction, nextKey, type ActionDraft, type ActionType } from './form'
import type { EmailTemplate } from './types'

/** What the action forms pick from, loaded from the app's existing routes. */
export interface ActionSources {
  channels: { value: string, label: string }[]
  members: { value: string, label: string }[]
  roles: { value: string, label: string }[]
  /** The org's templates; null when the author may not list them (project managers). */
  templates: EmailTemplate[] | null
  recordTypes: { slug: string, name: string, fields: string[] }[]
  /** The boards of the rule's project (or of every project); undefined while loading. */
  boards?: (BoardSummary & { projectName?: string })[]
  columnsOf: (board: string) => Promise<Column[]>
}

type ErrorAt = (...paths: string[]) => string | undefined

const PLACEHOLDER_HINT = 'Texts take {{field}} placeholders: {{title}}, {{name}}, {{state}}, {{total}}, {{url}}.'

/** The fields each action type's form has (for placing the server's errors). */
const FIELDS_OF: Record<ActionType, string[]> = {
  post_message: ['channel', 'text'],
  notify: ['users', 'roles', 'text'],
  email: ['to', 'template'],
  set_field: ['field', 'value'],
  assign: ['user'],
  move_task: ['column'],
  create_task: ['board', 'title'],
  create_record: ['record_type', 'fields'],
  webhook: ['url']
}

/** The rule's actions, one form per action, done in order. */
export function Actions ({ rows, onChange, onPatch, sources, error }: {
  rows: ActionDraft[]
  onChange: (next: ActionDraft[]) => void
  /** Changes one row (by key) in the latest draft: a picker that answers later (a saved
   * column's board found) must not undo what was typed meanwhile. */
  onPatch: (key: number, patch: Partial<ActionDraft>) => void
  sources: ActionSources
  error: ErrorAt
}) {
  const set = (i: number, patch: Partial<ActionDraft>) => onPatch(rows[i].key, patch)
  const whole = error('actions')
  return (
    <fieldset class={'settings-group' + (whole ? ' field-invalid' : '')} aria-describedby={whole ? 'actions-err' : 'actions-hint'}>
      <legend>Actions</legend>
      <p id='actions-hint' class='muted small'>Done in order. {PLACEHOLDER_HINT}</p>
      <ol class='list automation-rows' aria-label='Actions'>
        {rows.map((r, i) => (
          <li key={r.key} class='automation-row' data-testid='action'>
            <ActionForm index={i} draft={r} set={(patch) => set(i, patch)} sources={sources} error={error} />
            <div class='row-end'>
              <button type='button' class='btn btn-small' aria-label={`Move action ${i + 1} up`} disabled={i === 0} onClick={() => onChange(swap(rows, i, i - 1))}>Up</button>
              <button type='button' class='btn btn-small' aria-label={`Remove action ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>Remove</button>
            </div>
          </li>
        ))}
      </ol>
      <div><button type='button' class='btn btn-small' onClick={() => onChange([...rows, emptyAction()])}>Add action</button></div>
      {whole && <small id='actions-err' class='field-error' role='alert'>{whole}</small>}
    </fieldset>
  )
}

function swap<T> (list: T[], a: number, b: number): T[] {
  const next = [...list]
  ;[next[a], next[b]] = [next[b], next[a]]
  return next
}

/** The paths of the actions' errors that the forms show. */
export function actionPaths (rows: ActionDraft[]): string[] {
  return ['actions', ...rows.flatMap((r, i) => [`actions[${i}]`, `actions[${i}].type`, ...FIELDS_OF[r.type].map((f) => `actions[${i}].${f}`),
    ...(r.type === 'create_record' ? r.fields.map((f) => `actions[${i}].fields.${f.name.trim()}`) : [])])]
}

function ActionForm ({ index, draft: d, set, sources, error }: { index: number, draft: ActionDraft, set: (patch: Partial<ActionDraft>) => void, sources: ActionSources, error: ErrorAt }) {
  const p = `actions[${index}]`
  const id = (f: string) => `act-${d.key}-${f}`
  const at = (f: string) => error(`${p}.${f}`)
  const rowError = error(p) ?? error(`${p}.type`)
  const text = (label = 'Text') => (
    <TextBox label={label} id={id('text')} value={d.text} rows={2} required onInput={(text) => set({ text })} error={at('text')} placeholder='Done: {{title}}' />
  )
  return (
    <div class='stack'>
      <Choice label={`Action ${index + 1}`} id={id('type')} value={d.type} onChange={(type) => set({ type: type as ActionType })}>
        {(Object.keys(ACTION_LABELS) as ActionType[]).map((t) => <option key={t} value={t}>{ACTION_LABELS[t]}</option>)}
      </Choice>
      {d.type === 'post_message' && (
        <>
          <Choice label='Channel' id={id('channel')} value={d.channel} onChange={(channel) => set({ channel })} error={at('channel')}>
            <option value='project'>The event’s project channel</option>
            {!sources.channels.some((c) => c.value === d.channel) && d.channel !== 'project' && <option value={d.channel}>{d.channel}</option>}
            {sources.channels.map((c) => <option key={c.value} value={c.value}>#{c.label}</option>)}
          </Choice>
          {text('Message')}
        </>
      )}
      {d.type === 'notify' && (
        <>
          <div class='row wrap automation-picks'>
            <CheckList legend='People' id={id('users')} options={sources.members} chosen={d.users} onChange={(users) => set({ users })} error={at('users')} />
            <CheckList legend='Everyone with the role' id={id('roles')} options={sources.roles} chosen={d.roles} onChange={(roles) => set({ roles })} error={at('roles')} />
          </div>
          {text('Notification')}
        </>
      )}
      {d.type === 'email' && (
        <>
          {sources.templates
            ? (
              <Choice label='Template' id={id('template')} value={d.template} onChange={(template) => set({ template })} error={at('template')} required hint={sources.templates.length ? undefined : 'Make a template under E-mail templates below first.'}>
                <option value=''>Choose a template…</option>
                {d.template && !sources.templates.some((t) => t.name === d.template) && <option value={d.template}>{d.template}</option>}
                {sources.templates.map((t) => <option key={t.id} value={t.name}>{t.name}</option>)}
              </Choice>
              )
            : <Field label='Template' name={id('template')} value={d.template} required placeholder='invoice-overdue' onInput={(e) => set({ template: e.currentTarget.value })} error={at('template')} hint='The name of one of the organisation’s e-mail templates (its owners and admins keep them).' />}
          <Field label='To' name={id('to')} value={d.to} required placeholder='field:client.email, office@example.com' onInput={(e) => set({ to: e.currentTarget.value })} error={at('to')} hint='Addresses, comma-separated; field:<name> for an address the record holds (field:client.email).' />
        </>
      )}
      {d.type === 'set_field' && (
        <div class='row wrap'>
          <Field label='Field' name={id('field')} value={d.field} required placeholder='priority' onInput={(e) => set({ field: e.currentTarget.value })} error={at('field')} />
          <Field label='Value' name={id('value')} value={d.value} placeholder='{{today}}' onInput={(e) => set({ value: e.currentTarget.value })} error={at('value')} hint='{{today}} is the date in the rule’s time zone.' />
        </div>
      )}
      {d.type === 'assign' && (
        <Choice label='Assignee' id={id('user')} value={d.user} onChange={(user) => set({ user })} error={at('user')} required>
          <option value=''>Choose someone…</option>
          {d.user && !sources.members.some((m) => m.value === d.user) && <option value={d.user}>{d.user}</option>}
          {sources.members.map((m) => <option key={m.value} value={m.value}>{m.label}</option>)}
        </Choice>
      )}
      {d.type === 'move_task' && <ColumnPicker draft={d} set={set} sources={sources} id={id} error={at('column')} />}
      {d.type === 'create_task' && (
        <>
          <BoardChoice id={id('board')} label='On board' value={d.board} onChange={(board) => set({ board })} sources={sources} error={at('board')} />
          <Field label='Title' name={id('title')} value={d.title} required placeholder='Follow up {{name}}' onInput={(e) => set({ title: e.currentTarget.value })} error={at('title')} />
        </>
      )}
      {d.type === 'create_record' && <RecordFields draft={d} set={set} sources={sources} id={id} error={at} />}
      {d.type === 'webhook' && (
        <Field label='URL' name={id('url')} type='url' value={d.url} required placeholder='https://example.com/hook' onInput={(e) => set({ url: e.currentTarget.value })} error={at('url')} hint='The event is POSTed as JSON to this public http(s) address.' />
      )}
      {rowError && <small class='field-error' role='alert'>{rowError}</small>}
    </div>
  )
}

function BoardChoice ({ id, label, value, onChange, sources, error }: { id: string, label: string, value: string, onChange: (v: string) => void, sources: ActionSources, error?: string }) {
  const boards = sources.boards
  return (
    <Choice label={label} id={id} value={value} onChange={onChange} error={error} required hint={boards ? (boards.length ? undefined : 'No boards in reach: make one in a project first.') : 'Loading boards…'}>
      <option value=''>Choose a board…</option>
      {value && !boards?.some((b) => b.id === value) && <option value={value}>{value}</option>}
      {boards?.map((b) => <option key={b.id} value={b.id}>{b.projectName ? `${b.projectName} · ${b.name}` : b.name}</option>)}
    </Choice>
  )
}

/** A board, then one of its columns; a saved column's board is found by looking through them. */
function ColumnPicker ({ draft: d, set, sources, id, error }: { draft: ActionDraft, set: (patch: Partial<ActionDraft>) => void, sources: ActionSources, id: (f: string) => string, error?: string }) {
  const [columns, setColumns] = useState<Column[] | null>(null)
  const boards = sources.boards
  useEffect(() => {
    let live = true
    if (d.board) {
      setColumns(null)
      sources.columnsOf(d.board).then((c) => { if (live) setColumns(c) }, () => { if (live) setColumns([]) })
    } else if (d.column && boards) {
      // An edited rule names only the column: find its board.
      ;(async () => {
        for (const b of boards) {
          const cols = await sources.columnsOf(b.id).catch(() => [] as Column[])
          if (!live) return
          if (cols.some((c) => c.id === d.column)) { set({ board: b.id }); return }
        }
      })()
    }
    return () => { live = false }
  }, [d.board, boards])
  return (
    <div class='row wrap'>
      <BoardChoice id={id('board')} label='Board' value={d.board} onChange={(board) => set({ board, column: '' })} sources={sources} />
      <Choice label='Into column' id={id('column')} value={d.column} onChange={(column) => set({ column })} error={error} required>
        <option value=''>{d.board ? (columns ? 'Choose a column…' : 'Loading…') : 'Choose a board first'}</option>
        {d.column && !columns?.some((c) => c.id === d.column) && <option value={d.column}>{d.column}</option>}
        {columns?.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
      </Choice>
    </div>
  )
}

/** A record type and the values of its new record's fields, one row per field. */
function RecordFields ({ draft: d, set, sources, id, error }: { draft: ActionDraft, set: (patch: Partial<ActionDraft>) => void, sources: ActionSources, id: (f: string) => string, error: (f: string) => string | undefined }) {
  const type = sources.recordTypes.find((t) => t.slug === d.record_type)
  const setRow = (k: number, patch: Partial<ActionDraft['fields'][number]>) => set({ fields: d.fields.map((f) => (f.key === k ? { ...f, ...patch } : f)) })
  return (
    <>
      <Choice label='Record type' id={id('record_type')} value={d.record_type} onChange={(record_type) => set({ record_type })} error={error('record_type')} required>
        <option value=''>Choose a type…</option>
        {d.record_type && !type && <option value={d.record_type}>{d.record_type}</option>}
        {sources.recordTypes.map((t) => <option key={t.slug} value={t.slug}>{t.name}</option>)}
      </Choice>
      <datalist id={id('names')}>{type?.fields.map((f) => <option key={f} value={f} />)}</datalist>
      <ul class='list' aria-label='Fields of the new record'>
        {d.fields.map((f, i) => (
          <li key={f.key} class='row wrap'>
            <SuggestField label={`Field ${i + 1}`} name={id(`fname-${f.key}`)} value={f.name} list={id('names')} onInput={(e) => setRow(f.key, { name: e.currentTarget.value })} error={f.name.trim() ? error(`fields.${f.name.trim()}`) : undefined} />
            <Field label='Value' name={id(`fvalue-${f.key}`)} value={f.value} onInput={(e) => setRow(f.key, { value: e.currentTarget.value })} />
            <button type='button' class='btn btn-small' aria-label={`Remove field ${i + 1}`} onClick={() => set({ fields: d.fields.filter((x) => x.key !== f.key) })}>Remove</button>
          </li>
        ))}
      </ul>
      <div><button type='button' class='btn btn-small' onClick={() => set({ fields: [...d.fields, { key: nextKey(), name: '', value: '' }] })}>Add field</button></div>
      {error('fields') && <small class='field-error' role='alert'>{error('fields')}</small>}
    </>
  )
}

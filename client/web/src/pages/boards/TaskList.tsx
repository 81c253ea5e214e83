// The list view of a project's tasks: filters (assignee, label, priority, due, status, text)
// and sort, saved as the caller's views; select rows and act on them in one bulk request
// (move, assign, label, priority, close): all or nothing, and a refusal lists why per task.
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { navigate, path, query } from '../../lib/router'
import { members, projects, toast, toastError, userById } from '../../lib/session'
import type { BulkOp, Priority, SavedView, TaskCard, TaskFilter } from '../../lib/types'
import { Avatar, Empty, ErrorBox, Spinner, useAsync, useTitle, confirmDialog, promptDialog } from '../../ui/common'
import { tasksApi, viewsApi } from './api'
import { DueDate, LabelChip, PRIORITIES, PRIORITY_LABEL, splitList } from './bits'
import { TaskPanel } from './TaskPanel'
import { useProjectStatuses } from './useStatuses'
import { bulkErrors } from './bulk'

const SORTS: [string, string][] = [['key', 'Key'], ['-updated', 'Recently updated'], ['due', 'Due date'], ['-priority', 'Priority'], ['status', 'Status'], ['title', 'Title']]

export function TaskList ({ org, project }: { org: string, project: string }) {
  const proj = projects.value.find((p) => p.id === project)
  useTitle(proj ? `Tasks · ${proj.name}` : 'Tasks')
  const [filter, setFilter] = useState<TaskFilter>({})
  const [sort, setSort] = useState('key')
  const [view, setView] = useState<SavedView | null>(null)
  const [selected, setSelected] = useState<Set<string>>(new Set())
  const [errors, setErrors] = useState<Record<string, string>>({})
  /** Sends the refused bulk request again, confirmed (closing parents with open subtasks). */
  const [confirmRetry, setConfirmRetry] = useState<(() => void) | null>(null)
  const views = useAsync((signal) => viewsApi.list(project, signal).catch(() => ({ items: [] as SavedView[] })), [project])
  const list = useAsync((signal) => tasksApi.list(project, filter, sort, signal), [project, JSON.stringify(filter), sort])
  const statuses = useProjectStatuses(project)
  const openTask = query.value.get('task')
  const items = list.data?.items ?? []
  const [more, setMore] = useState(false)
  async function loadMore () {
    const next = list.data?.next
    if (!next || more) return
    setMore(true)
    try {
      const page = await tasksApi.list(project, filter, sort, undefined, next)
      list.setData((d) => ({ items: [...(d?.items ?? []), ...page.items], next: page.next }))
    } catch (e) { toastError(e) } finally { setMore(false) }
  }
  useEffect(() => { setSelected(new Set()) }, [project, JSON.stringify(filter)])

  function applyView (v: SavedView | null) {
    setView(v)
    setFilter(v?.filters ?? {})
    setSort(v?.sort || 'key')
  }
  async function saveView () {
    const name = (await promptDialog({ title: 'Save this view', label: 'Name of the view', initial: view?.name ?? '', action: 'Save view' }))?.trim()
    if (!name) return
    try {
      const body = { name, layout: 'list' as const, filters: filter, sort }
      const v = view && view.name === name ? await viewsApi.update(view.id, body) : await viewsApi.save(project, body)
      setView(v)
      views.reload()
      toast(`View “${v.name}” saved`, 'success')
    } catch (e) { toastError(e) }
  }
  async function deleteView () {
    if (!view || !await confirmDialog({ title: `Delete the view “${view.name}”?`, action: 'Delete', danger: true })) return
    try { await viewsApi.remove(view.id); applyView(null); views.reload() } catch (e) { toastError(e) }
  }
  async function bulk (op: BulkOp, extra: { status?: string, assignees?: string[], labels?: string[], priority?: Priority } = {}, confirmed = false) {
    const tasks = [...selected]
    if (!tasks.length) return
    setErrors({})
    setConfirmRetry(null)
    try {
      const r = await tasksApi.bulk(project, { tasks, op, ...extra, ...(confirmed ? { confirm: true } : {}) })
      toast(`${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} changed`, 'success')
      setSelected(new Set())
      list.reload()
    } catch (e) {
      const per = bulkErrors(e)
      if (e instanceof ApiError && e.status === 409 && /subtask|confirm/.test(e.code) && !confirmed) {
        if (await confirmDialog({ title: 'Do it anyway?', message: e.message, action: 'Do it anyway' })) return bulk(op, extra, true)
        return
      }
      if (Object.keys(per).length) {
        setErrors(per)
        if (!confirmed && e instanceof ApiError && e.status === 422 && Object.values(per).some((why) => why.startsWith('open_subtasks'))) {
          setConfirmRetry(() => () => bulk(op, extra, true))
        }
      } else toastError(e)
    }
  }
  const patchFilter = (p: Partial<TaskFilter>) => { setView(null); setFilter((f) => clean({ ...f, ...p })) }
  const all = items.length > 0 && items.every((t) => selected.has(t.id))
  return (
    <section class={'page task-list-page' + (openTask ? ' with-panel' : '')}>
      <div class='board-main'>
        <div class='page-head'>
          <h1>Tasks{proj && <span class='muted h-sub'> · {proj.name}</span>}</h1>
          <div class='row'>
            <a class='btn' href={`/o/${org}/p/${project}/boards`}>Boards</a>
            <a class='btn' href={`/o/${org}/timesheet`}>My timesheet</a>
          </div>
        </div>
        <div class='views row' role='group' aria-label='Saved views'>
          <label for='view-pick' class='small muted'>View</label>
          <select id='view-pick' value={view?.id ?? ''} onChange={(e) => applyView(views.data?.items.find((v) => v.id === e.currentTarget.value) ?? null)}>
            <option value=''>All tasks</option>
            {(views.data?.items ?? []).map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
          </select>
          <button class='btn btn-small' onClick={saveView}>Save view</button>
          {view && <button class='btn btn-small btn-danger' onClick={deleteView}>Delete view</button>}
        </div>
        <form class='filters' onSubmit={(e) => e.preventDefault()} aria-label='Filters'>
          <div class='field'><label for='flt-text'>Text</label><input id='flt-text' type='search' value={filter.text ?? ''} onChange={(e) => patchFilter({ text: e.currentTarget.value })} /></div>
          <div class='field'>
            <label for='flt-assignee'>Assignee</label>
            <select id='flt-assignee' value={filter.assignees?.[0] ?? ''} onChange={(e) => patchFilter({ assignees: e.currentTarget.value ? [e.currentTarget.value] : [] })}>
              <option value=''>Anyone</option>
              <option value='none'>Unassigned</option>
              {members.value.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
            </select>
          </div>
          <div class='field'><label for='flt-label'>Labels</label><input id='flt-label' value={(filter.labels ?? []).join(', ')} onChange={(e) => patchFilter({ labels: splitList(e.currentTarget.value) })} /></div>
          <div class='field'>
            <label for='flt-priority'>Priority</label>
            <select id='flt-priority' value={filter.priorities?.[0] ?? ''} onChange={(e) => patchFilter({ priorities: e.currentTarget.value ? [e.currentTarget.value as Priority] : [] })}>
              <option value=''>Any</option>
              {PRIORITIES.map((p) => <option key={p} value={p}>{PRIORITY_LABEL[p]}</option>)}
            </select>
          </div>
          <div class='field'>
            <label for='flt-status'>Status</label>
            <select id='flt-status' value={filter.statuses?.[0] ?? ''} onChange={(e) => patchFilter({ statuses: e.currentTarget.value ? [e.currentTarget.value] : [] })}>
              <option value=''>Any</option>
              {statuses.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </div>
          <div class='field'><label for='flt-due'>Due by</label><input id='flt-due' type='date' value={filter.due_before ?? ''} onChange={(e) => patchFilter({ due_before: e.currentTarget.value || undefined })} /></div>
          <div class='field'>
            <label for='flt-sort'>Sort</label>
            <select id='flt-sort' value={sort} onChange={(e) => { setView(null); setSort(e.currentTarget.value) }}>
              {SORTS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          </div>
        </form>
        {selected.size > 0 && <BulkBar count={selected.size} statuses={statuses} onBulk={bulk} />}
        {Object.keys(errors).length > 0 && (
          <div class='error-box' role='alert' data-testid='bulk-errors'>
            <span>Nothing was changed:</span>
            <ul>{Object.entries(errors).map(([id, why]) => <li key={id}>{items.find((t) => t.id === id)?.key ?? id}: {why}</li>)}</ul>
            {confirmRetry && <button class='btn btn-small' onClick={confirmRetry}>Close them anyway</button>}
          </div>
        )}
        <ErrorBox error={list.error} retry={list.reload} />
        {!list.data
          ? (list.error ? null : <Spinner />)
          : !items.length
              ? <Empty title='No tasks match' />
              : (
                <table class='table task-table' data-testid='task-table'>
                  <thead>
                    <tr>
                      <th scope='col'><input type='checkbox' aria-label='Select all' checked={all} onChange={(e) => setSelected(e.currentTarget.checked ? new Set(items.map((t) => t.id)) : new Set())} /></th>
                      <th scope='col'>Key</th><th scope='col'>Title</th><th scope='col'>Status</th><th scope='col'>Priority</th><th scope='col'>Assignees</th><th scope='col'>Due</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((t) => <Row key={t.id} t={t} status={statuses.find((s) => s.id === t.status_id)?.name ?? ''} error={errors[t.id]} checked={selected.has(t.id)} onCheck={(on) => setSelected((s) => { const n = new Set(s); if (on) n.add(t.id); else n.delete(t.id); return n })} />)}
                  </tbody>
                </table>
                )}
        {list.data?.next && <button class='btn' onClick={loadMore} disabled={more}>Load more tasks</button>}
      </div>
      {openTask && <TaskPanel org={org} taskId={openTask} onClose={() => navigate(path.value)} onChanged={() => list.reload()} />}
    </section>
  )
}

function Row ({ t, status, checked, error, onCheck }: { t: TaskCard, status: string, checked: boolean, error?: string, onCheck: (on: boolean) => void }) {
  return (
    <tr class={(checked ? 'selected' : '') + (error ? ' row-error' : '')} data-task={t.id}>
      <td><input type='checkbox' aria-label={`Select ${t.key}`} checked={checked} onChange={(e) => onCheck(e.currentTarget.checked)} /></td>
      <td><a href={`${path.value}?task=${t.id}`}>{t.key}</a></td>
      <td>{t.title}{t.blocked && <span class='chip chip-blocked'>Blocked</span>}{t.labels.map((l) => <LabelChip key={l} label={l} />)}{error && <small class='field-error'> {error}</small>}</td>
      <td>{status}</td>
      <td>{t.priority === 'none' ? '' : PRIORITY_LABEL[t.priority]}</td>
      <td>{t.assignees.map((id) => <Avatar key={id} id={id} name={userById.value.get(id)?.name ?? 'Unknown person'} size={22} />)}</td>
      <td>{t.due && <DueDate due={t.due} closed={t.closed} />}</td>
    </tr>
  )
}

function BulkBar ({ count, statuses, onBulk }: { count: number, statuses: { id: string, name: string }[], onBulk: (op: BulkOp, extra?: { status?: string, assignees?: string[], labels?: string[], priority?: Priority }) => void }) {
  const [label, setLabel] = useState('')
  return (
    <div class='bulk-bar row' role='toolbar' aria-label='Bulk actions' data-testid='bulk-bar'>
      <strong>{count} selected</strong>
      <label class='sr-only' for='bulk-move'>Move to</label>
      <select id='bulk-move' value='' onChange={(e) => { const v = e.currentTarget.value; if (v) onBulk('move', { status: v }) }}>
        <option value=''>Move to…</option>
        {statuses.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
      </select>
      <label class='sr-only' for='bulk-assign'>Assign to</label>
      <select id='bulk-assign' value='' onChange={(e) => { const v = e.currentTarget.value; if (v) onBulk('assign', { assignees: v === 'none' ? [] : [v] }) }}>
        <option value=''>Assign to…</option>
        <option value='none'>Nobody</option>
        {members.value.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
      </select>
      <label class='sr-only' for='bulk-priority'>Set priority</label>
      <select id='bulk-priority' value='' onChange={(e) => { const v = e.currentTarget.value; if (v) onBulk('priority', { priority: v as Priority }) }}>
        <option value=''>Priority…</option>
        {PRIORITIES.map((p) => <option key={p} value={p}>{PRIORITY_LABEL[p]}</option>)}
      </select>
      <form class='row' onSubmit={(e) => { e.preventDefault(); const l = splitList(label); if (l.length) { onBulk('label', { labels: l }); setLabel('') } }}>
        <label class='sr-only' for='bulk-label'>Add labels</label>
        <input id='bulk-label' placeholder='Add labels' value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
        <button class='btn btn-small'>Label</button>
      </form>
      <button class='btn btn-small' onClick={() => onBulk('close')}>Close</button>
    </div>
  )
}

/** The filter without empty parts (what a saved view keeps). */
function clean (f: TaskFilter): TaskFilter {
  const out: TaskFilter = {}
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && !v.length)) continue
    ;(out as any)[k] = v
  }
  return out
}

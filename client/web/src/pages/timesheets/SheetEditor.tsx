// A timesheet of one's own: its state, approvers and what happened to it (the rejection's reason,
// who approved it), the rows — editable while it is a draft or rejected: add and remove rows,
// change project, task or description, day, hours (h:mm), billable and note, saved with the
// version they were read at (a stale save reloads the timesheet and says so) — the totals of
// each day and the week as they are typed, and Submit.
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { me, projects, toast } from '../../lib/session'
import type { TaskCard } from '../../lib/types'
import { ErrorBox, useAsync } from '../../ui/common'
import { sheetsApi, tasksOf, type Sheet } from './api'
import { DayTotals, names, when, personName, projectName, rememberTask, RowsTable, StateChip, useTaskNames } from './bits'
import {
  changed, dayLabel, editableState, formatHm, lastStep, newRow, rowErrors, toDraft, totals, toWire, weekDays, weekLabel,
  type DraftRow
} from './sheet'

const REASON_TEXT: Record<string, string> = {
  permission: 'You may not submit this timesheet.',
  role: 'None of your roles may submit timesheets.',
  condition: 'A timesheet with no time cannot be submitted: add its rows first.',
  relation: 'Only the timesheet’s person submits it.'
}

export function SheetEditor ({ sheet, monday, onChanged }: { sheet: Sheet, monday: string, onChanged: (s: Sheet) => void }) {
  const mine = sheet.user === me.value?.user.id
  const state = sheet.state ?? 'draft'
  const canEdit = mine && sheet.can.write && editableState(state)
  // What the rows on screen were read from: a save sends its version.
  const [base, setBase] = useState<Sheet>(sheet)
  const [rows, setRows] = useState<DraftRow[]>(() => toDraft(sheet.entries))
  const [attempted, setAttempted] = useState(false)
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const [busy, setBusy] = useState<'save' | 'submit' | null>(null)
  const dirty = canEdit && changed(rows, base.entries)
  const dirtyRef = useRef(dirty)
  dirtyRef.current = dirty
  // A newer version from elsewhere (the events socket, a step): shown at once unless the person is
  // in the middle of changes, which then stay and are saved against the version they started from.
  useEffect(() => {
    if (sheet.version === base.version && sheet.state === base.state) return
    if (!dirtyRef.current) {
      setBase(sheet)
      setRows(toDraft(sheet.entries))
      setServerErrors({})
    }
  }, [sheet.version, sheet.state])
  const history = useAsync((signal) => sheetsApi.history(sheet.id, signal), [sheet.id, sheet.state])
  const steps = useAsync((signal) => sheetsApi.steps(sheet.id, signal), [sheet.id, sheet.version])
  const submitStep = steps.data?.items.find((s) => s.action === 'submit')
  const rejection = state === 'rejected' ? lastStep(history.data?.items, 'reject') : null
  const approval = state === 'approved' ? lastStep(history.data?.items, 'approve') : null
  const submitted = state === 'submitted' ? lastStep(history.data?.items, 'submit') : null
  const errors = rowErrors(rows, monday)
  const valid = Object.keys(errors).length === 0
  const live = totals(canEdit ? rows : (sheet.entries ?? []), monday)
  const newer = dirty && sheet.version > base.version

  // Server errors name rows by index (`entries[3].minutes`).
  function serverError (i: number, field: string): string | undefined {
    return serverErrors[`entries[${i}].${field}`]
  }
  function edit (key: string, change: Partial<DraftRow>) {
    setRows((rs) => rs.map((r) => r.key === key ? { ...r, ...change } : r))
    setNotice(null)
  }
  function addRow () {
    const last = rows[rows.length - 1]
    const project = last?.project ?? projects.value[0]?.id ?? ''
    const day = last?.date && weekDays(monday).includes(last.date) ? last.date : monday
    setRows((rs) => [...rs, newRow(monday, project, day)])
    setServerErrors({})
    // Focus the new row's hours, where one types next.
    setTimeout(() => document.getElementById(`hours-${rows.length}`)?.focus(), 0)
  }
  function removeRow (key: string) {
    setRows((rs) => rs.filter((r) => r.key !== key))
    setServerErrors({})
  }
  function discard () {
    setRows(toDraft(sheet.entries))
    setBase(sheet)
    setAttempted(false)
    setServerErrors({})
    setError(null)
  }
  function loaded (next: Sheet) {
    setBase(next)
    setRows(toDraft(next.entries))
    setAttempted(false)
    setServerErrors({})
    onChanged(next)
  }

  async function save (e?: Event): Promise<Sheet | null> {
    e?.preventDefault()
    setAttempted(true)
    setError(null)
    setNotice(null)
    if (!valid) {
      const first = rows.find((r) => errors[r.key])
      const field = first && errors[first.key]
      if (first && field) document.getElementById(`${field.project ? 'project' : field.date ? 'day' : 'hours'}-${rows.indexOf(first)}`)?.focus()
      return null
    }
    setBusy('save')
    try {
      const saved = await sheetsApi.save(base.id, base.version, toWire(rows))
      loaded(saved)
      toast('Timesheet saved', 'success', 2500)
      return saved
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const current = (err.details.current as Sheet | undefined) ?? await sheetsApi.get(base.id).catch(() => null)
        if (current) loaded(current)
        setNotice(`This timesheet was changed elsewhere (now version ${current?.version ?? '?'}) and has been reloaded: your changes were not saved.`)
      } else if (err instanceof ApiError && Object.keys(err.fields).length) {
        setServerErrors(err.fields)
        const placed = Object.keys(err.fields).filter((k) => /^entries\[\d+\]\./.test(k))
        const rest = Object.entries(err.fields).filter(([k]) => !placed.includes(k))
        setError(rest.length ? new ApiError(err.status, err.code, rest.map(([k, v]) => `${k} ${v}`).join('; ')) : placed.length ? null : err)
      } else setError(err)
      return null
    } finally { setBusy(null) }
  }

  async function submit () {
    setError(null)
    setNotice(null)
    let current: Sheet | null = base
    if (dirty) current = await save()
    if (!current) return
    setBusy('submit')
    try {
      const next = await sheetsApi.step(current.id, 'submit')
      loaded(next)
      toast(`Timesheet submitted to ${names(next.approvers)}`, 'success')
    } catch (err) {
      if (err instanceof ApiError && err.fields.approvers) setError(new ApiError(err.status, err.code, `Nobody can approve it yet: ${err.fields.approvers}.`))
      else if (err instanceof ApiError && Object.keys(err.fields).length) setError(new ApiError(err.status, err.code, Object.values(err.fields).join('; ')))
      else setError(err)
    } finally { setBusy(null) }
  }

  const approvers = sheet.approvers ?? []
  return (
    <div class='ts-sheet' data-testid='sheet' data-sheet={sheet.id}>
      <div class='ts-summary'>
        <StateChip state={state} testId='sheet-state' />
        <span class='muted'>{sheet.name}</span>
        <span data-testid='approvers'>
          {approvers.length
            ? <>Approvers: {names(approvers)}</>
            : <span class='muted'>Nobody can approve it yet: you need a manager, or a manager on one of its projects.</span>}
        </span>
        <span class='grow' />
        <span class='ts-figures' aria-live='polite'>
          <span>Week <strong data-testid='sheet-total'>{formatHm(live.total)}</strong></span>
          <span>Billable <strong data-testid='sheet-billable'>{formatHm(live.billable)}</strong></span>
        </span>
      </div>
      {rejection && (
        <div class='banner banner-warn ts-reason' role='status' data-testid='rejection'>
          <strong>{personName(rejection.user_id)} rejected this timesheet</strong> {when(rejection.at)}:
          <blockquote data-testid='rejection-reason'>{rejection.comment || 'No reason given.'}</blockquote>
          {canEdit && <span>Change what is needed and submit it again.</span>}
        </div>
      )}
      {state === 'submitted' && (
        <p class='banner banner-info' role='status' data-testid='submitted-note'>
          Submitted{submitted ? ` ${when(submitted.at)}` : ''}, waiting for {names(approvers)}. It is read-only until it is approved or rejected.
        </p>
      )}
      {approval && (
        <p class='banner banner-info' role='status' data-testid='approved-note'>
          Approved by {personName(approval.user_id)} {when(approval.at)}. It is read-only now.
        </p>
      )}
      {notice && <div class='error-box' role='alert' data-testid='stale'><span>{notice}</span></div>}
      {newer && (
        <div class='error-box' role='alert' data-testid='newer'>
          <span>This timesheet was changed elsewhere while you were editing it (now version {sheet.version}).</span>
          <button type='button' class='btn btn-small' onClick={discard}>Load the current version</button>
        </div>
      )}
      {canEdit
        ? (
          <form onSubmit={save} noValidate aria-label={`Timesheet for ${weekLabel(monday)}`}>
            <EditRows rows={rows} monday={monday} errors={errors} attempted={attempted} serverError={serverError} onEdit={edit} onRemove={removeRow} />
            <div class='row ts-row-actions'>
              <button type='button' class='btn' onClick={addRow}>Add a row</button>
            </div>
            <DayTotals totals={live} caption={`Totals for ${weekLabel(monday)}`} />
            <ErrorBox error={error} />
            <div class='row ts-actions'>
              <button class='btn' disabled={!dirty || busy !== null}>{busy === 'save' ? 'Saving…' : 'Save'}</button>
              {dirty && <button type='button' class='btn' onClick={discard} disabled={busy !== null}>Discard changes</button>}
              <button type='button' class='btn btn-primary' onClick={submit} disabled={busy !== null || (!dirty && submitStep?.allowed === false)} aria-describedby={submitStep && !submitStep.allowed ? 'why-no-submit' : undefined}>
                {busy === 'submit' ? 'Submitting…' : dirty ? 'Save and submit' : state === 'rejected' ? 'Submit again' : 'Submit'}
              </button>
            </div>
            {submitStep && !submitStep.allowed && !dirty && <p id='why-no-submit' class='muted small'>{REASON_TEXT[submitStep.reason ?? ''] ?? 'You cannot submit it now.'}</p>}
            {dirty && <p class='muted small'>You have unsaved changes.</p>}
          </form>
          )
        : (
          <>
            <RowsTable rows={sheet.entries ?? []} monday={monday} caption={`Time of ${weekLabel(monday)}`} testId='sheet-rows' />
            <ErrorBox error={error} />
          </>
          )}
    </div>
  )
}

type Errors = ReturnType<typeof rowErrors>

/** The rows as inputs, a line each. */
function EditRows ({ rows, monday, errors, attempted, serverError, onEdit, onRemove }: {
  rows: DraftRow[]
  monday: string
  errors: Errors
  attempted: boolean
  serverError: (i: number, field: string) => string | undefined
  onEdit: (key: string, change: Partial<DraftRow>) => void
  onRemove: (key: string) => void
}) {
  const days = weekDays(monday)
  const tasks = useProjectTasks([...new Set(rows.map((r) => r.project).filter(Boolean))])
  const taskName = useTaskNames(rows.filter((r) => r.task && !r.description).map((r) => r.task))
  return (
    <div class='ts-table-wrap'>
      <table class='ts-table ts-edit' data-testid='sheet-rows'>
        <caption class='sr-only'>Time of {weekLabel(monday)}, editable</caption>
        <thead>
          <tr>
            <th scope='col'>Project</th>
            <th scope='col'>Task or description</th>
            <th scope='col'>Day</th>
            <th scope='col' class='num'>Hours (h:mm)</th>
            <th scope='col'>Billable</th>
            <th scope='col'>Note</th>
            <th scope='col'><span class='sr-only'>Remove</span></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => {
            const n = i + 1
            const e = errors[r.key] ?? {}
            const hoursErr = serverError(i, 'minutes') ?? ((attempted || r.hours.trim() !== '') ? e.hours : undefined)
            const projectErr = serverError(i, 'project') ?? (attempted ? e.project : undefined)
            const dayErr = serverError(i, 'date') ?? (attempted ? e.date : undefined)
            const taskErr = serverError(i, 'task') ?? serverError(i, 'description')
            const noteErr = serverError(i, 'note')
            const known = projects.value.some((p) => p.id === r.project)
            const options = tasks(r.project)
            const currentTask = r.task && !options.some((t) => t.id === r.task)
            return (
              <tr key={r.key} data-testid='sheet-row' data-row={i}>
                <td>
                  <select id={`project-${i}`} aria-label={`Project, row ${n}`} value={r.project} aria-invalid={projectErr ? 'true' : undefined} aria-describedby={projectErr ? `project-${i}-err` : undefined}
                    onChange={(ev) => onEdit(r.key, { project: ev.currentTarget.value, task: '', description: r.task ? '' : r.description })}>
                    {!r.project && <option value=''>Choose…</option>}
                    {!known && r.project && <option value={r.project}>{projectName(r.project) ?? 'A project you cannot see'}</option>}
                    {projects.value.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
                  </select>
                  {projectErr && <small id={`project-${i}-err`} class='field-error' role='alert'>{projectErr}</small>}
                </td>
                <td class='ts-what'>
                  <select id={`task-${i}`} aria-label={`Task, row ${n}`} value={r.task}
                    onChange={(ev) => {
                      const id = ev.currentTarget.value
                      const t = options.find((x) => x.id === id)
                      if (t) rememberTask(t.id, `${t.key} ${t.title}`)
                      onEdit(r.key, { task: id, description: t ? `${t.key} ${t.title}` : '' })
                    }}>
                    <option value=''>No task</option>
                    {currentTask && <option value={r.task}>{r.description || taskName(r.task) || 'This task'}</option>}
                    {options.map((t) => <option key={t.id} value={t.id}>{t.key} {t.title}</option>)}
                  </select>
                  {!r.task && (
                    <input id={`description-${i}`} aria-label={`Description, row ${n}`} placeholder='What was done' maxLength={300} value={r.description}
                      onInput={(ev) => onEdit(r.key, { description: ev.currentTarget.value })} />
                  )}
                  {taskErr && <small class='field-error' role='alert'>{taskErr}</small>}
                </td>
                <td>
                  <select id={`day-${i}`} aria-label={`Day, row ${n}`} value={r.date} aria-invalid={dayErr ? 'true' : undefined} aria-describedby={dayErr ? `day-${i}-err` : undefined}
                    onChange={(ev) => onEdit(r.key, { date: ev.currentTarget.value })}>
                    {!days.includes(r.date) && <option value={r.date}>{r.date}</option>}
                    {days.map((d) => <option key={d} value={d}>{dayLabel(d)}</option>)}
                  </select>
                  {dayErr && <small id={`day-${i}-err`} class='field-error' role='alert'>{dayErr}</small>}
                </td>
                <td class='num'>
                  <input id={`hours-${i}`} class='ts-hours' aria-label={`Hours, row ${n}`} inputMode='decimal' autoComplete='off' placeholder='0:00' value={r.hours}
                    aria-invalid={hoursErr ? 'true' : undefined} aria-describedby={hoursErr ? `hours-${i}-err` : undefined}
                    onInput={(ev) => onEdit(r.key, { hours: ev.currentTarget.value })} />
                  {hoursErr && <small id={`hours-${i}-err`} class='field-error' role='alert'>{hoursErr}</small>}
                </td>
                <td>
                  <input type='checkbox' id={`billable-${i}`} aria-label={`Billable, row ${n}`} checked={r.billable} onChange={(ev) => onEdit(r.key, { billable: ev.currentTarget.checked })} />
                </td>
                <td>
                  <input id={`note-${i}`} aria-label={`Note, row ${n}`} maxLength={500} value={r.note} aria-invalid={noteErr ? 'true' : undefined} onInput={(ev) => onEdit(r.key, { note: ev.currentTarget.value })} />
                  {noteErr && <small class='field-error' role='alert'>{noteErr}</small>}
                </td>
                <td>
                  <button type='button' class='btn btn-small' aria-label={`Remove row ${n}`} onClick={() => onRemove(r.key)}>Remove</button>
                </td>
              </tr>
            )
          })}
          {!rows.length && <tr><td colSpan={7} class='muted'>No rows yet: add one for each task and day you worked.</td></tr>}
        </tbody>
      </table>
    </div>
  )
}

const projectTasks = new Map<string, TaskCard[]>()

/** The tasks of each project (fetched once per project and session), for the task choice. */
function useProjectTasks (ids: string[]): (project: string) => TaskCard[] {
  const [, setTick] = useState(0)
  const missing = ids.filter((id) => !projectTasks.has(id))
  useEffect(() => {
    if (!missing.length) return
    for (const id of missing) projectTasks.set(id, [])
    Promise.all(missing.map((id) => tasksOf.list(id).then((r) => { projectTasks.set(id, r.items) }, () => {})))
      .then(() => setTick((n) => n + 1))
  }, [missing.join(',')])
  return (project) => projectTasks.get(project) ?? []
}


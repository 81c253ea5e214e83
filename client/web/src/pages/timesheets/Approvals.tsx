// The timesheets waiting for the caller's decision: submitted ones naming them among their
// approvers (the person's manager, or a manager of a project its rows name), never their own.
// Each shows its person, week and totals, its rows on demand, Approve, and Reject with a
// required reason (a dialog). Live: a timesheet submitted, decided elsewhere or withdrawn joins
// or leaves the list as it happens. `?sheet={id}` (from a notification) opens that one.
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { query } from '../../lib/router'
import { me, toast } from '../../lib/session'
import { Avatar, Empty, ErrorBox, Modal, Spinner, useAsync, useTitle } from '../../ui/common'
import { useRecordsLive } from '../records/useRecordsLive'
import { sheetsApi, type Sheet } from './api'
import { personName, RowsTable, StateChip, Tabs } from './bits'
import { formatHm, weekLabel } from './sheet'

/** Whether `s` waits for `me`'s decision. */
function awaits (s: Sheet, me: string): boolean {
  return s.state === 'submitted' && s.user !== me && (s.approvers ?? []).includes(me)
}

function order (a: Sheet, b: Sheet): number {
  return (a.week ?? '').localeCompare(b.week ?? '') || personName(a.user).localeCompare(personName(b.user)) || a.id.localeCompare(b.id)
}

export function Approvals ({ org }: { org: string }) {
  useTitle('Timesheet approvals')
  const myId = me.value!.user.id
  const focus = query.value.get('sheet')
  const list = useAsync((signal) => sheetsApi.awaiting(org, myId, signal), [org])
  const [open, setOpen] = useState<Set<string>>(() => new Set(focus ? [focus] : []))
  const [rejecting, setRejecting] = useState<Sheet | null>(null)
  const [decided, setDecided] = useState<string | null>(null)
  const items = (list.data ?? []).filter((s) => awaits(s, myId)).sort(order)
  useEffect(() => { if (focus) setOpen((o) => new Set([...o, focus])) }, [focus])
  useRecordsLive('timesheet', {
    onRecord: (r) => {
      const s = r as Sheet
      list.setData((d) => {
        const rest = (d ?? []).filter((x) => x.id !== s.id)
        const old = (d ?? []).find((x) => x.id === s.id)
        if (old && old.version > s.version) return d ?? []
        return awaits(s, myId) ? [...rest, s] : rest
      })
    },
    onRemoved: (id) => list.setData((d) => (d ?? []).filter((x) => x.id !== id)),
    onResync: () => list.reload()
  })
  function toggle (id: string) {
    setOpen((o) => { const n = new Set(o); if (n.has(id)) n.delete(id); else n.add(id); return n })
  }
  function done (s: Sheet, verb: string) {
    list.setData((d) => (d ?? []).filter((x) => x.id !== s.id))
    const text = `${verb} ${personName(s.user)}’s timesheet for ${weekLabel(s.week ?? '')}`
    setDecided(text)
    toast(text, 'success')
  }
  return (
    <section class='page ts-page'>
      <div class='page-head'>
        <h1>Timesheets</h1>
      </div>
      <Tabs org={org} />
      <h2 class='ts-week'>Waiting for your approval</h2>
      <p class='sr-only' role='status' aria-live='polite'>{decided ?? ''}</p>
      <ErrorBox error={list.error} retry={list.reload} />
      {focus && list.data && !items.some((s) => s.id === focus) && <NotWaiting id={focus} />}
      {!list.data
        ? (list.error ? null : <Spinner />)
        : !items.length
            ? <Empty title='Nothing waits for your approval'>Timesheets of the people you manage, and of those who work on projects you manage, show up here once they are submitted.</Empty>
            : (
              <ul class='ts-approvals' data-testid='approvals'>
                {items.map((s) => (
                  <ApprovalItem
                    key={s.id}
                    sheet={s}
                    open={open.has(s.id)}
                    focused={s.id === focus}
                    onToggle={() => toggle(s.id)}
                    onApproved={(next) => done(next, 'Approved')}
                    onReject={() => setRejecting(s)}
                  />
                ))}
              </ul>
              )}
      {rejecting && <RejectDialog sheet={rejecting} onClose={() => setRejecting(null)} onRejected={(next) => { setRejecting(null); done(next, 'Rejected') }} />}
    </section>
  )
}

function ApprovalItem ({ sheet, open, focused, onToggle, onApproved, onReject }: { sheet: Sheet, open: boolean, focused: boolean, onToggle: () => void, onApproved: (s: Sheet) => void, onReject: () => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const head = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (!focused || !head.current) return
    head.current.scrollIntoView({ block: 'center' })
    head.current.focus()
  }, [focused])
  const person = personName(sheet.user)
  const week = weekLabel(sheet.week ?? '')
  const whose = `${person}’s timesheet for ${week}`
  async function approve () {
    setBusy(true)
    setError(null)
    try {
      onApproved(await sheetsApi.step(sheet.id, 'approve'))
    } catch (e) {
      setError(e)
      setBusy(false)
    }
  }
  const rowsId = `rows-${sheet.id}`
  return (
    <li class={'ts-approval' + (focused ? ' focused' : '')} data-testid='approval' data-sheet={sheet.id}>
      <div class='ts-approval-head'>
        <Avatar id={sheet.user ?? ''} name={person} />
        <div class='grow'>
          <h3 id={`head-${sheet.id}`} ref={head} tabIndex={-1}>{person} <span class='muted'>· {week}</span></h3>
          <div class='ts-figures small'>
            <StateChip state={sheet.state} />
            <span>Total <strong data-testid='approval-total'>{formatHm(sheet.total_minutes ?? 0)}</strong></span>
            <span>Billable <strong data-testid='approval-billable'>{formatHm(sheet.billable_minutes ?? 0)}</strong></span>
            <span class='muted'>{(sheet.entries ?? []).length} rows · {sheet.name}</span>
          </div>
        </div>
        <div class='row wrap'>
          <button type='button' class='btn btn-small' aria-expanded={open} aria-controls={rowsId} onClick={onToggle}>{open ? 'Hide rows' : 'Show rows'}<span class='sr-only'> of {whose}</span></button>
          <button type='button' class='btn btn-primary' disabled={busy} onClick={approve}>Approve<span class='sr-only'> {whose}</span></button>
          <button type='button' class='btn btn-danger' disabled={busy} onClick={onReject}>Reject…<span class='sr-only'> {whose}</span></button>
        </div>
      </div>
      <ErrorBox error={error} />
      {open && <RowsTable id={rowsId} rows={sheet.entries ?? []} monday={sheet.week ?? ''} caption={`Rows of ${whose}`} testId='approval-rows' />}
    </li>
  )
}

/** Asks why (required: the person sees it) and rejects. */
function RejectDialog ({ sheet, onClose, onRejected }: { sheet: Sheet, onClose: () => void, onRejected: (s: Sheet) => void }) {
  const [reason, setReason] = useState('')
  const [fieldError, setFieldError] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [pending, setPending] = useState(false)
  const person = personName(sheet.user)
  async function submit (e: Event) {
    e.preventDefault()
    setError(null)
    if (!reason.trim()) {
      setFieldError(`Say why, so ${person} knows what to change.`)
      document.getElementById('reject-reason')?.focus()
      return
    }
    setFieldError(null)
    setPending(true)
    try {
      onRejected(await sheetsApi.step(sheet.id, 'reject', reason.trim()))
    } catch (err) {
      if (err instanceof ApiError && err.fields.comment) setFieldError(err.fields.comment)
      else setError(err)
      setPending(false)
    }
  }
  return (
    <Modal title={`Reject ${person}’s timesheet`} onClose={onClose}>
      <form class='stack' onSubmit={submit} noValidate>
        <p class='muted'>For {weekLabel(sheet.week ?? '')}: {formatHm(sheet.total_minutes ?? 0)} in all. {person} can change it and submit it again.</p>
        <div class={'field' + (fieldError ? ' field-invalid' : '')}>
          <label for='reject-reason'>Reason (required; {person} sees it)</label>
          <textarea id='reject-reason' rows={3} maxLength={2000} value={reason} aria-invalid={fieldError ? 'true' : undefined} aria-describedby={fieldError ? 'reject-reason-err' : undefined} onInput={(e) => setReason(e.currentTarget.value)} />
          {fieldError && <small id='reject-reason-err' class='field-error' role='alert'>{fieldError}</small>}
        </div>
        <ErrorBox error={error} />
        <div class='row-end'>
          <button type='button' class='btn' onClick={onClose}>Cancel</button>
          <button class='btn btn-danger' disabled={pending}>Reject timesheet</button>
        </div>
      </form>
    </Modal>
  )
}

/** The timesheet a notification named is no longer waiting: say what became of it. */
function NotWaiting ({ id }: { id: string }) {
  const s = useAsync((signal) => sheetsApi.get(id, signal), [id])
  if (s.loading && !s.data) return null
  if (s.error) return <p class='banner banner-info' role='status' data-testid='not-waiting'>That timesheet is no longer there for you to approve.</p>
  const sheet = s.data!
  return (
    <p class='banner banner-info' role='status' data-testid='not-waiting'>
      {personName(sheet.user)}’s timesheet for {weekLabel(sheet.week ?? '')} is no longer waiting for approval: it is <StateChip state={sheet.state} />.
    </p>
  )
}

// One's timesheet for a week (`?week=` names its Monday, or any day of it): the week's
// timesheet, or a button that starts it prefilled from the week's time entries. A draft or a
// rejected one is edited here (SheetEditor); submitted or approved, it is read-only. The
// state, approvers, the rejection's reason and the decision follow live from the events socket.
// `?sheet={id}` (from a notification) opens the week of that timesheet.
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, qs } from '../../lib/api'
import { navigate, query } from '../../lib/router'
import { me, toastError } from '../../lib/session'
import type { Timesheet as TimeEntries } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { useRecordsLive } from '../records/useRecordsLive'
import { sheetsApi, type Sheet } from './api'
import { Tabs } from './bits'
import { SheetEditor } from './SheetEditor'
import { addDays, formatHm, shiftWeek, weekFromParam, weekLabel } from './sheet'

function today (): string {
  return new Date().toISOString().slice(0, 10)
}

export function TimesheetWeek ({ org }: { org: string }) {
  const myId = me.value!.user.id
  const sheetParam = query.value.get('sheet')
  const monday = weekFromParam(query.value.get('week'), today())
  const thisWeek = weekFromParam(null, today())
  useTitle(`Timesheet, ${weekLabel(monday)}`)
  const [lost, setLost] = useState<unknown>(null)
  // From a notification: the timesheet's own week (or, someone else's, the approvals).
  useEffect(() => {
    if (!sheetParam) return
    const ctrl = new AbortController()
    sheetsApi.get(sheetParam, ctrl.signal).then((s) => {
      if (s.user === myId) navigate(`/o/${org}/timesheets?week=${s.week}`, { replace: true })
      else navigate(`/o/${org}/timesheets/approvals?sheet=${s.id}`, { replace: true })
    }, (e) => { if (e?.name !== 'AbortError') { setLost(e); navigate(`/o/${org}/timesheets`, { replace: true }) } })
    return () => ctrl.abort()
  }, [sheetParam])
  const found = useAsync((signal) => sheetParam ? new Promise<Sheet | null>(() => {}) : sheetsApi.find(org, myId, monday, signal), [org, monday, sheetParam])
  const sheet = found.data ?? null
  useRecordsLive('timesheet', {
    onRecord: (r) => {
      const s = r as Sheet
      if (s.user !== myId || s.week !== monday) return
      if (!sheet || sheet.id === s.id) found.setData((d) => (d && d.id === s.id && d.version > s.version ? d : s))
    },
    onRemoved: (id) => { if (sheet?.id === id) found.setData(() => null) },
    onResync: () => found.reload()
  })
  function go (week: string) {
    navigate(`/o/${org}/timesheets${week === thisWeek ? '' : `?week=${week}`}`)
  }
  return (
    <section class='page ts-page'>
      <div class='page-head'>
        <h1>Timesheets</h1>
        <a class='btn btn-small' href={`/o/${org}/timesheet${qs({ week: monday })}`}>Time log of this week</a>
      </div>
      <Tabs org={org} week={monday === thisWeek ? undefined : monday} />
      <div class='ts-weeknav' role='group' aria-label='Week'>
        <button type='button' class='btn btn-small' onClick={() => go(shiftWeek(monday, -1))}>Previous week</button>
        <h2 class='ts-week' data-testid='week-label' aria-live='polite'>{monday === thisWeek ? 'This week: ' : 'Week of '}{weekLabel(monday)}</h2>
        <button type='button' class='btn btn-small' onClick={() => go(shiftWeek(monday, 1))}>Next week</button>
        {monday !== thisWeek && <button type='button' class='btn btn-small' onClick={() => go(thisWeek)}>This week</button>}
      </div>
      <ErrorBox error={lost} />
      <ErrorBox error={found.error} retry={found.reload} />
      {found.loading && found.data === undefined
        ? <Spinner />
        : sheet
          ? <SheetEditor key={sheet.id} sheet={sheet} monday={monday} onChanged={(s) => found.setData(() => s)} />
          : !found.error && <StartWeek org={org} monday={monday} onStarted={(s) => found.setData(() => s)} onExists={found.reload} />}
    </section>
  )
}

/** No timesheet for the week yet: what the time log holds for it, and the button that starts it. */
function StartWeek ({ org, monday, onStarted, onExists }: { org: string, monday: string, onStarted: (s: Sheet) => void, onExists: () => void }) {
  const logged = useAsync((signal) => api.get<TimeEntries>(`/api/v1/orgs/${org}/time/entries${qs({ from: monday, to: addDays(monday, 6) })}`, { signal }), [org, monday])
  const [pending, setPending] = useState(false)
  const entries = logged.data?.entries ?? []
  const total = entries.reduce((a, e) => a + e.minutes, 0)
  const billable = entries.filter((e) => e.billable).reduce((a, e) => a + e.minutes, 0)
  async function start () {
    setPending(true)
    try {
      onStarted(await sheetsApi.create(org, monday))
    } catch (e) {
      if (e instanceof ApiError && e.code === 'timesheet_exists') onExists()
      else toastError(e)
    } finally { setPending(false) }
  }
  return (
    <Empty title='No timesheet for this week yet'>
      <p data-testid='logged'>
        {logged.loading && !logged.data
          ? 'Looking at your time log…'
          : entries.length
            ? <>Your time log has <strong>{formatHm(total)}</strong> this week ({formatHm(billable)} billable) in {entries.length} {entries.length === 1 ? 'entry' : 'entries'}. They become the timesheet’s rows, which you can change before you submit it.</>
            : <>Your time log has nothing this week. Start the timesheet and add its rows, or log time on tasks first.</>}
      </p>
      <button type='button' class='btn btn-primary' onClick={start} disabled={pending}>Start this week's timesheet</button>
    </Empty>
  )
}

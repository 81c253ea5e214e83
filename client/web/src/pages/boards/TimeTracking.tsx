// Time on a task: its entries, logging one (a duration, a date, a note, billable), and the
// caller's timer (one runs per person; starting it here stops one running elsewhere, whose
// time becomes an entry there).
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { events, toast, toastError, userById } from '../../lib/session'
import type { Task, TimeEntry, Timer } from '../../lib/types'
import { useAsync } from '../../ui/common'
import { timeApi } from './api'
import { today } from './bits'
import { formatMinutes, parseDuration } from './week'

export function TimeTracking ({ task, onLogged }: { task: Task, onLogged: () => void }) {
  const entries = useAsync((signal) => timeApi.entries(task.id, signal), [task.id])
  const [duration, setDuration] = useState('')
  const [date, setDate] = useState(today())
  const [note, setNote] = useState('')
  const [billable, setBillable] = useState(true)
  const [errors, setErrors] = useState<Record<string, string>>({})
  async function log (e: Event) {
    e.preventDefault()
    const minutes = parseDuration(duration)
    if (minutes === null) { setErrors({ minutes: 'Type a duration such as 1:30, 90m or 1.5h.' }); return }
    try {
      await timeApi.log(task.id, { minutes, date, billable, ...(note.trim() ? { note: note.trim() } : {}) })
      setDuration('')
      setNote('')
      setErrors({})
      entries.reload()
      onLogged()
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields)
      else toastError(err)
    }
  }
  const items = entries.data?.items ?? []
  return (
    <section class='task-section' aria-labelledby='task-time-h'>
      <h3 id='task-time-h'>Time <span class='muted small' data-testid='time-spent'>{formatMinutes(task.time_spent) || '0:00'} logged{task.estimate ? ` of ${formatMinutes(task.estimate)} estimated` : ''}</span></h3>
      <TimerControl task={task} onStopped={() => { entries.reload(); onLogged() }} />
      <form class='time-form' onSubmit={log}>
        <div class={'field' + (errors.minutes ? ' field-invalid' : '')}>
          <label for='time-duration'>Time spent</label>
          <input id='time-duration' placeholder='1:30' value={duration} onInput={(e) => setDuration(e.currentTarget.value)} aria-invalid={errors.minutes ? 'true' : undefined} aria-describedby={errors.minutes ? 'time-duration-err' : undefined} />
          {errors.minutes && <small id='time-duration-err' class='field-error' role='alert'>{errors.minutes}</small>}
        </div>
        <div class='field'>
          <label for='time-date'>Date</label>
          <input id='time-date' type='date' value={date} onInput={(e) => setDate(e.currentTarget.value)} />
          {errors.date && <small class='field-error' role='alert'>{errors.date}</small>}
        </div>
        <div class='field grow'>
          <label for='time-note'>Note</label>
          <input id='time-note' value={note} onInput={(e) => setNote(e.currentTarget.value)} />
        </div>
        <label class='check'><input type='checkbox' checked={billable} onChange={(e) => setBillable(e.currentTarget.checked)} /> Billable</label>
        <button class='btn btn-small'>Log time</button>
      </form>
      {items.length > 0 && (
        <table class='table time-entries' data-testid='time-entries'>
          <thead><tr><th scope='col'>Date</th><th scope='col'>Who</th><th scope='col'>Time</th><th scope='col'>Note</th></tr></thead>
          <tbody>
            {items.map((t: TimeEntry) => (
              <tr key={t.id}><td>{t.date}</td><td>{userById.value.get(t.user_id)?.name ?? 'Someone'}</td><td>{formatMinutes(t.minutes)}{t.billable ? '' : ' (not billable)'}</td><td>{t.note}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function TimerControl ({ task, onStopped }: { task: Task, onStopped: () => void }) {
  const [timer, setTimer] = useState<Timer | null | undefined>(undefined)
  const [now, setNow] = useState(Date.now())
  useEffect(() => { timeApi.timer().then((t) => setTimer(t ?? null), () => setTimer(null)) }, [task.id])
  // Started or stopped in another tab (or on another task): follow it.
  useEffect(() => events.on('timer.updated', (f) => {
    setTimer(f.data.timer ?? null)
    if (f.data.stopped?.task_id === task.id) onStopped()
  }), [task.id])
  useEffect(() => {
    if (!timer) return
    const t = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(t)
  }, [timer])
  if (timer === undefined) return null
  const here = timer?.task_id === task.id
  async function start () {
    try {
      const r = await timeApi.start(task.id)
      setTimer(r.timer)
      if (r.stopped) toast(`Stopped the timer on ${r.stopped.task_key ?? 'another task'}: ${formatMinutes(r.stopped.minutes) || 'under a minute'} logged there.`, 'info')
    } catch (e) { toastError(e) }
  }
  async function stop () {
    try {
      const entry = await timeApi.stop()
      setTimer(null)
      toast(entry?.minutes ? `${formatMinutes(entry.minutes)} logged.` : 'Timer stopped.', 'success')
      onStopped()
    } catch (e) { toastError(e) }
  }
  const seconds = timer ? Math.max(0, Math.floor((now - timer.started_at) / 1000)) : 0
  const clock = `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  return (
    <div class='timer row' data-testid='timer'>
      {here
        ? <><span class='timer-clock' role='timer' aria-label='Timer running'>{clock}</span><button class='btn btn-small' onClick={stop}>Stop timer</button></>
        : <><button class='btn btn-small' onClick={start}>Start timer</button>{timer && <span class='muted small'>Running on {timer.task_key}: starting here stops it.</span>}</>}
    </div>
  )
}

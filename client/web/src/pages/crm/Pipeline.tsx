// The deal pipeline: a column per stage in workflow order (lead → … → won, lost) with its deals
// and their total per currency, and the forecast under it. A card dragged to another column
// (or picked up with Space and carried with the arrow keys) takes the workflow step that leads
// to that stage — the server's list of the deal's steps (`/records/{id}/transitions`) says
// which one and whether the person may take it; a drop no step allows is refused with the
// reason and the card stays. Moves show at once and are undone if the server refuses them.
// Everyone's changes arrive on the events socket; the forecast is read again after each.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { me, toast } from '../../lib/session'
import type { AvailableTransition, RecordType } from '../../lib/types'
import { ErrorBox, Modal, Spinner, useAsync, useTitle } from '../../ui/common'
import { useBoardDnd, useCellDnd, type DropTarget } from '../boards/dnd'
import { useFlip } from '../boards/flip'
import { useClientNames } from '../invoices/bits'
import { recordsApi, typesApi } from '../records/api'
import { RecordForm } from '../records/RecordForm'
import { useRecordsLive } from '../records/useRecordsLive'
import { crmApi, listAll, type Deal } from './api'
import { amountText, useDebounced, withDefaults } from './bits'
import { DEAL_HELP_ID, DealCard } from './DealCard'
import { Forecast } from './Forecast'
import { columnsOf, mergeDeal, nextStage, placeDeal, refusalText, removeDeal, rollbackDeal, stageLabel, stagesOf, stepTo, type StageColumn } from './pipeline'
import type { DragDropManager } from '@dnd-kit/dom'

/** A keyboard move in progress: the deal, its stage and the stage it would go to. */
interface Picked { id: string, from: string, to: string }

export function Pipeline ({ org }: { org: string }) {
  useTitle('Pipeline')
  const type = useAsync((signal) => typesApi.get(org, 'deal', signal), [org])
  const list = useAsync((signal) => listAll<Deal>(org, 'deal', { sort: 'expected_close' }, signal), [org])
  const forecast = useAsync((signal) => crmApi.forecast(org, signal), [org])
  const [deals, setDeals] = useState<Deal[] | null>(null)
  const [creating, setCreating] = useState(false)
  useEffect(() => { if (list.data) setDeals(list.data.items) }, [list.data])
  const reforecast = useDebounced(() => forecast.reload(), 250)
  useRecordsLive('deal', {
    onRecord: (r) => { setDeals((ds) => ds && mergeDeal(ds, r as Deal)); reforecast() },
    onRemoved: (id) => { setDeals((ds) => ds && removeDeal(ds, id)); reforecast() },
    onResync: () => { list.reload(); forecast.reload() }
  })
  const t = type.data
  return (
    <section class='page crm-page pipeline-page'>
      <div class='page-head'>
        <h1>Pipeline</h1>
        <div class='row wrap'>
          <a class='btn' href={`/o/${org}/clients`}>Clients</a>
          <a class='btn' href={`/o/${org}/records/deal`}>All deals as a list</a>
          {t?.can.create && <button class='btn btn-primary' onClick={() => setCreating(true)}>New deal</button>}
        </div>
      </div>
      <ErrorBox error={type.error ?? list.error} retry={() => { type.reload(); list.reload() }} />
      {!t || !deals
        ? !type.error && !list.error && <Spinner />
        : <Board org={org} type={t} deals={deals} setDeals={setDeals} onMoved={reforecast} />}
      {list.data && !list.data.complete && <p class='muted small'>Only the first 2,000 deals are on the board.</p>}
      <Forecast data={forecast.data} loading={forecast.loading} error={forecast.error} retry={forecast.reload} />
      {creating && t && (
        <Modal title='New deal' wide onClose={() => setCreating(false)}>
          <RecordForm org={org} type={withDefaults(t, { assignee: me.value?.user.id })} record={null} onSaved={(d) => { setCreating(false); setDeals((ds) => ds && mergeDeal(ds, d as Deal)); reforecast(); toast(`${d.name} added`, 'success', 2500) }} />
        </Modal>
      )}
    </section>
  )
}

function Board ({ org, type, deals, setDeals, onMoved }: { org: string, type: RecordType, deals: Deal[], setDeals: (f: (d: Deal[] | null) => Deal[] | null) => void, onMoved: () => void }) {
  const stages = stagesOf(type)
  const [picked, setPicked] = useState<Picked | null>(null)
  const [dragging, setDragging] = useState<string | null>(null)
  const [hover, setHover] = useState<string | null>(null)
  // The steps out of the deal being moved, once known: which columns it may go to.
  const [steps, setSteps] = useState<{ id: string, items: AvailableTransition[] } | null>(null)
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set())
  const [refusal, setRefusal] = useState<string | null>(null)
  const [said, setSaid] = useState('')
  const gridRef = useRef<HTMLDivElement>(null)
  const focusAfter = useRef<string | null>(null)
  const current = useRef(deals)
  current.current = deals
  const cache = useRef(new Map<string, Promise<AvailableTransition[]>>())
  // The answers already in: a drop whose steps are known moves the card in the same render
  // that ends the drag or the keyboard move (no flash back to where it was).
  const known = useRef(new Map<string, AvailableTransition[]>())
  const clientName = useClientNames(deals.map((d) => d.client))
  const announce = (text: string) => setSaid((s) => s === text ? text + '\u00a0' : text)

  /** The steps out of `d` as it is now (asked once per version). */
  function stepsOf (d: Deal): Promise<AvailableTransition[]> {
    const key = `${d.id}:${d.version}`
    let p = cache.current.get(key)
    if (!p) {
      p = recordsApi.transitions(d.id).then((r) => { known.current.set(key, r.items); return r.items })
      cache.current.set(key, p)
      p.catch(() => cache.current.delete(key))
    }
    return p
  }
  function learnSteps (d: Deal) {
    setSteps(null)
    stepsOf(d).then((items) => setSteps({ id: d.id, items }), () => {})
  }
  const stageOf = (t: DropTarget | null): string | null => {
    if (!t) return null
    if (t.kind === 'cell') return t.column
    return current.current.find((d) => d.id === t.id)?.state ?? null
  }

  const manager = useBoardDnd({
    onStart: (id) => {
      setDragging(id)
      setPicked(null)
      setRefusal(null)
      const d = current.current.find((x) => x.id === id)
      if (d) learnSteps(d)
    },
    onHover: (_id, t) => setHover(stageOf(t)),
    onDrop: (id, t) => {
      setDragging(null)
      setHover(null)
      const stage = stageOf(t)
      if (stage) move(id, stage)
    }
  })
  useFlip(gridRef, dragging)
  // A keyboard move re-creates the card in its new column: keep the focus on it.
  useLayoutEffect(() => {
    const id = focusAfter.current
    const el = id ? gridRef.current?.querySelector<HTMLElement>(`[data-card="${id}"]`) : null
    if (!el) return
    focusAfter.current = null
    el.focus()
  })

  /** Takes the step that leads `id` to `stage`, or says why there is none; `keyboard`: the
   * card keeps the focus wherever it ends up. */
  async function move (id: string, stage: string, keyboard = false) {
    const d = current.current.find((x) => x.id === id)
    if (!d || d.state === stage || busy.has(id)) return
    setRefusal(null)
    const refuse = (text: string) => { setRefusal(text); announce(text) }
    const follow = () => { if (keyboard) focusAfter.current = id }
    let items: AvailableTransition[]
    try {
      items = known.current.get(`${d.id}:${d.version}`) ?? await stepsOf(d)
    } catch (e) {
      refuse(`“${d.name}” was not moved: ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    const step = stepTo(items, d.state, stage)
    if (!step.ok) {
      if (step.reason !== 'same') refuse(refusalText(d.name, d.state, stage, step.reason))
      return
    }
    setBusy((b) => new Set(b).add(id))
    setDeals((ds) => ds && placeDeal(ds, id, stage))
    follow()
    try {
      const next = await recordsApi.transition(id, step.action) as Deal
      setDeals((ds) => ds && mergeDeal(ds, next))
      follow()
      announce(`“${d.name}” moved to ${stageLabel(stage)}.`)
      onMoved()
    } catch (e) {
      setDeals((ds) => ds && rollbackDeal(ds, d))
      follow()
      const why = e instanceof Error ? e.message.replace(/\.$/, '') : String(e)
      refuse(`“${d.name}” could not be moved to ${stageLabel(stage)} (${why}); it is back in ${stageLabel(d.state)}.`)
    } finally {
      setBusy((b) => { const n = new Set(b); n.delete(id); return n })
    }
  }

  function onCardKey (d: Deal, e: KeyboardEvent) {
    if (picked && picked.id === d.id) {
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        e.preventDefault()
        const to = nextStage(stages, picked.to, e.key)
        if (!to) { announce(`${d.name} cannot go further that way.`); return }
        setPicked({ ...picked, to })
        focusAfter.current = d.id
        const verdictNow = steps?.id === d.id ? stepTo(steps.items, picked.from, to) : null
        announce(`${d.name}: ${stageLabel(to)}${verdictNow && !verdictNow.ok && verdictNow.reason !== 'same' ? ' (it may not go there)' : ''}.`)
      } else if (e.key === ' ' || e.key === 'Enter') {
        e.preventDefault()
        setPicked(null)
        focusAfter.current = d.id
        if (picked.to === picked.from) announce(`${d.name} stays in ${stageLabel(picked.from)}.`)
        else move(d.id, picked.to, true)
      } else if (e.key === 'Escape' || e.key === 'Tab') {
        if (e.key === 'Escape') e.preventDefault()
        setPicked(null)
        focusAfter.current = d.id
        announce(`Move cancelled: ${d.name} is back in ${stageLabel(picked.from)}.`)
      }
      return
    }
    if (e.key === ' ') {
      e.preventDefault()
      if (!d.can.transition) { announce(`You may not move ${d.name}.`); return }
      if (!d.state || busy.has(d.id)) return
      setRefusal(null)
      setPicked({ id: d.id, from: d.state, to: d.state })
      learnSteps(d)
      focusAfter.current = d.id
      announce(`Picked up ${d.name} in ${stageLabel(d.state)}. The left and right arrow keys choose a stage, Space or Enter moves it there, Escape cancels.`)
    } else if (e.key === 'Enter') {
      e.preventDefault()
      navigate(`/o/${org}/records/deal/${d.id}`)
    }
  }

  const shown = picked ? placeDeal(deals, picked.id, picked.to) : deals
  const { columns, others } = columnsOf(stages, shown)
  // The deal being carried, where it comes from, and the stage it is over.
  const active = dragging ?? picked?.id ?? null
  const from = active ? deals.find((d) => d.id === active)?.state ?? null : null
  const target = dragging ? hover : picked?.to ?? null
  const verdict = (stage: string): 'ok' | 'refused' | null => {
    if (!active || stage !== target || stage === from || steps?.id !== active) return null
    return stepTo(steps.items, from, stage).ok ? 'ok' : 'refused'
  }
  return (
    <div class='pipeline'>
      <p id={DEAL_HELP_ID} class='sr-only'>Press Enter to open the deal. Press Space to pick the card up, the left and right arrow keys to choose a stage, Space or Enter to move it there, Escape to cancel.</p>
      <div class='sr-only' aria-live='assertive' data-testid='pipeline-announcer'>{said}</div>
      {refusal && (
        <div class='banner banner-warn banner-row' role='alert' data-testid='move-refused'>
          <span>{refusal}</span>
          <button class='btn btn-small' onClick={() => setRefusal(null)}>Dismiss</button>
        </div>
      )}
      {!stages.length && <p class='muted'>The deal type has no stages.</p>}
      {/* Focusable, so that the stages scroll sideways by keyboard even when no deal card is in them. */}
      <div class='pipeline-scroll' tabIndex={0} role='region' aria-label='Deal stages'>
        <div class='pipeline-grid' ref={gridRef} style={{ '--cols': String(stages.length) }} data-testid='pipeline'>
          {columns.map((c) => (
            <Column key={c.stage} column={c} manager={manager} verdict={verdict(c.stage)}>
              {c.deals.map((d) => (
                <DealCard
                  key={d.id}
                  deal={d}
                  client={d.client ? clientName(d.client) : undefined}
                  manager={manager}
                  movable={!!d.can.transition}
                  picked={picked?.id === d.id || dragging === d.id}
                  busy={busy.has(d.id)}
                  onOpen={() => navigate(`/o/${org}/records/deal/${d.id}`)}
                  onKeyDown={(e) => onCardKey(d, e)}
                />
              ))}
            </Column>
          ))}
        </div>
      </div>
      {others > 0 && <p class='muted small'>{others} deal{others === 1 ? ' is' : 's are'} in a stage the workflow no longer has: see <a href={`/o/${org}/records/deal`}>all deals</a>.</p>}
    </div>
  )
}

function Column ({ column, manager, verdict, children }: { column: StageColumn, manager: DragDropManager, verdict: 'ok' | 'refused' | null, children: any }) {
  const ref = useRef<HTMLUListElement>(null)
  useCellDnd(manager, column.stage, null, ref)
  const label = stageLabel(column.stage)
  const n = column.deals.length
  return (
    <div class={'pipeline-col' + (verdict ? ` drop-${verdict}` : '')} data-stage={column.stage} data-testid='stage-column'>
      <div class={`pipeline-col-head stage-edge-${column.stage}`}>
        <h2 class='pipeline-col-name'>{label} <span class='muted small' data-testid='stage-count'>{n}</span></h2>
        <div class='pipeline-col-total' data-testid='stage-total'>
          {column.totals.length ? column.totals.map((t) => <div key={t.currency}>{amountText(t.amount, t.currency)}</div>) : <span class='muted'>—</span>}
        </div>
      </div>
      {verdict === 'refused' && <p class='drop-note' role='status'>No step leads here</p>}
      <ul ref={ref} class='pipeline-cell' aria-label={`${label}, ${n} deal${n === 1 ? '' : 's'}`} data-testid='stage-cell' data-stage={column.stage}>
        {children}
      </ul>
    </div>
  )
}

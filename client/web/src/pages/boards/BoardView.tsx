// The board screen: columns (with counts and WIP limits) × swimlanes of cards, dragged with the
// pointer or moved with the keyboard. Moves are optimistic: the card goes where it was dropped
// at once, the server is asked (`POST /tasks/{task}/move` with its new neighbours) and a refusal
// puts it back with a message. Other people's changes arrive on the events socket and slide
// into place. The task opened from a card shows in a side panel (`?task=`).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { ApiError } from '../../lib/api'
import { navigate, query, path } from '../../lib/router'
import { projects, toast } from '../../lib/session'
import type { Board, TaskCard } from '../../lib/types'
import { Empty, ErrorBox, Spinner, useAsync, useTitle } from '../../ui/common'
import { boardsApi, tasksApi } from './api'
import { cardOf, findCard, lanesOf, moveLocally, neighbours, placeForDrop, placeOf, rollback, samePlace, withLane, type Place } from './boardState'
import { describePlace, isArrow, nextPlace } from './keyboardMove'
import { useBoardDnd, type DropTarget } from './dnd'
import { useFlip } from './flip'
import { useBoardLive } from './useBoardLive'
import { BoardGrid } from './BoardGrid'
import { laneName } from './bits'
import { TaskPanel } from './TaskPanel'
import { BoardSettings } from './BoardSettings'
import { CARD_HELP_ID } from './TaskCardView'

/** A keyboard move in progress: the card, where it was and where it would go. */
interface Picked { id: string, from: Place, to: Place }

/** A move the server refused, shown above the board until dismissed. */
interface Refusal { text: string, retry?: () => void }

export function BoardView ({ org, project, board: boardId }: { org: string, project: string, board: string }) {
  const loaded = useAsync((signal) => boardsApi.get(boardId, signal), [boardId])
  const [board, setBoard] = useState<Board | undefined>(undefined)
  const [picked, setPicked] = useState<Picked | null>(null)
  const [dragging, setDragging] = useState<string | null>(null)
  const [hover, setHover] = useState<DropTarget | null>(null)
  const [refusal, setRefusal] = useState<Refusal | null>(null)
  const [said, setSaid] = useState('')
  const [settings, setSettings] = useState(false)
  const focusAfter = useRef<string | null>(null)
  const gridRef = useRef<HTMLDivElement>(null)
  const boardRef = useRef<Board | undefined>(undefined)
  boardRef.current = board
  const proj = projects.value.find((p) => p.id === project)
  const openTask = query.value.get('task')
  useTitle(board ? `${board.name} · ${proj?.name ?? 'Board'}` : 'Board')

  useEffect(() => { if (loaded.data) setBoard(loaded.data) }, [loaded.data])
  const update = (f: (b: Board) => Board) => setBoard((b) => b && f(b))
  const applyFromServer = useBoardLive(board, update, loaded.reload, () => {
    toast('This board was deleted.', 'info')
    navigate(`/o/${org}/p/${project}/boards`)
  })

  const movable = !!board?.task_can?.write
  const manager = useBoardDnd({
    onStart: (id) => { setDragging(id); setPicked(null); setRefusal(null) },
    onHover: (_id, t) => setHover(t),
    onDrop: (id, t) => {
      setDragging(null)
      setHover(null)
      const b = boardRef.current
      if (!b || !t) return
      const place = placeForDrop(b, id, t)
      if (place) move(id, place)
    }
  })
  useFlip(gridRef, dragging)
  // Keyboard moves re-create the card in its new column: keep the focus on it.
  useLayoutEffect(() => {
    const id = focusAfter.current
    const el = id ? gridRef.current?.querySelector<HTMLElement>(`[data-card="${id}"]`) : null
    if (!el) return
    focusAfter.current = null
    el.focus()
  })

  const announce = (text: string) => setSaid((s) => s === text ? text + '\u00a0' : text)
  const label = (lane: string) => laneName(lane, board?.swimlanes)

  /** Sends a move; the card is shown at `place` until the server answers. */
  async function move (id: string, place: Place, force = false) {
    const b = boardRef.current
    if (!b) return
    const found = findCard(b, id)
    if (!found || samePlace(placeOf(b, id), place)) return
    const original = found.card
    const to = b.columns.find((c) => c.id === place.column)!
    const laneChange = withLane(original, b.swimlanes, place.lane)
    const where = neighbours(b, id, place)
    setRefusal(null)
    setBoard((x) => x && moveLocally(x, id, place))
    try {
      let card = await boardsApi.move(id, { column: place.column, ...where, ...(force ? { force: true } : {}) })
      if (laneChange) {
        const patch = b.swimlanes === 'priority' ? { priority: laneChange.priority } : b.swimlanes === 'assignee' ? { assignees: laneChange.assignees } : { labels: laneChange.labels }
        card = cardOf(await tasksApi.update(id, patch))
      }
      applyFromServer(card)
    } catch (e) {
      setBoard((x) => x && rollback(x, original))
      const text = refusalText(e, original, to.name, to.wip_limit)
      const mayForce = e instanceof ApiError && e.code === 'wip_limit' && !!b.can?.manage
      setRefusal({ text, retry: mayForce ? () => move(id, place, true) : undefined })
      announce(text)
    }
  }

  function onCardKey (card: TaskCard, e: KeyboardEvent) {
    const b = board
    if (!b) return
    if (picked && picked.id === card.id) {
      if (isArrow(e.key)) {
        e.preventDefault()
        const to = nextPlace(b, card.id, picked.to, e.key)
        if (!to) { announce(`${card.key} cannot go further that way.`); return }
        setPicked({ ...picked, to })
        focusAfter.current = card.id
        announce(`${card.key}: ${describePlace(b, card.id, to, label)}.`)
      } else if (e.key === ' ' || e.key === 'Enter') {
        e.preventDefault()
        setPicked(null)
        focusAfter.current = card.id
        const target = b.columns.find((c) => c.id === picked.to.column)
        announce(`${card.key} dropped in ${target?.name ?? 'its column'}, ${describePlace(b, card.id, picked.to, label)}.`)
        move(card.id, picked.to)
      } else if (e.key === 'Escape' || e.key === 'Tab') {
        if (e.key === 'Escape') e.preventDefault()
        setPicked(null)
        focusAfter.current = card.id
        announce(`Move cancelled: ${card.key} is back in ${describePlace(b, card.id, picked.from, label)}.`)
      }
      return
    }
    if (e.key === ' ' && movable) {
      e.preventDefault()
      const from = placeOf(b, card.id)
      if (!from) return
      setRefusal(null)
      setPicked({ id: card.id, from, to: from })
      focusAfter.current = card.id
      announce(`Picked up ${card.key}, ${describePlace(b, card.id, from, label)}. Arrow keys move it, Space or Enter drops it, Escape cancels.`)
    } else if (e.key === 'Enter') {
      e.preventDefault()
      open(card.id)
    }
  }

  function open (task: string) {
    navigate(`${path.value}?task=${encodeURIComponent(task)}`)
  }

  if (loaded.error && !board) return <section class='page'><ErrorBox error={loaded.error} retry={loaded.reload} /></section>
  if (!board) return <section class='page'><Spinner /></section>
  const shown = picked ? moveLocally(board, picked.id, picked.to) : board
  return (
    <section class={'page board-page' + (openTask ? ' with-panel' : '')}>
      <div class='board-main'>
        <div class='page-head'>
          <h1>{board.name}<span class='muted h-sub'> · {proj?.name}</span></h1>
          <div class='row'>
            <a class='btn' href={`/o/${org}/p/${project}/boards`}>All boards</a>
            <a class='btn' href={`/o/${org}/p/${project}/tasks`}>List</a>
            {board.can?.write && <button class='btn' onClick={() => setSettings(true)}>Board settings</button>}
          </div>
        </div>
        <p id={CARD_HELP_ID} class='sr-only'>Press Enter to open the task. Press Space to pick the card up, the arrow keys to move it, Space or Enter to drop it, Escape to cancel.</p>
        <div class='sr-only' aria-live='assertive' data-testid='board-announcer'>{said}</div>
        {refusal && (
          <div class='banner banner-warn banner-row' role='alert' data-testid='move-error'>
            <span>{refusal.text}</span>
            <span class='row'>
              {refusal.retry && <button class='btn btn-small' onClick={() => { const r = refusal.retry!; setRefusal(null); r() }}>Move anyway</button>}
              <button class='btn btn-small' onClick={() => setRefusal(null)}>Dismiss</button>
            </span>
          </div>
        )}
        {!board.columns.length
          ? <Empty title='This board has no columns' />
          : (
            <BoardGrid
              gridRef={gridRef}
              board={shown}
              lanes={lanesOf(shown)}
              manager={manager}
              movable={movable}
              picked={picked?.id ?? null}
              hover={dragging ? hover : null}
              dragging={dragging}
              onOpen={open}
              onCardKey={onCardKey}
              onCreated={(t) => applyFromServer(cardOf(t))}
            />
            )}
      </div>
      {settings && <BoardSettings board={board} onSaved={setBoard} onClose={() => setSettings(false)} />}
      {openTask && <TaskPanel org={org} taskId={openTask} onClose={() => navigate(path.value)} onChanged={(t) => applyFromServer(cardOf(t))} />}
    </section>
  )
}

/** Why a move did not happen, in words (the card is back where it was). */
function refusalText (e: unknown, card: TaskCard, column: string, limit: number | null | undefined): string {
  if (e instanceof ApiError && e.code === 'wip_limit') {
    return `“${column}” is at its WIP limit${limit !== null && limit !== undefined ? ` of ${limit}` : ''}: ${card.key} was moved back.`
  }
  const why = e instanceof ApiError ? e.message : (e as Error)?.message || String(e)
  return `${card.key} could not be moved (${why.replace(/\.$/, '')}); it was moved back.`
}

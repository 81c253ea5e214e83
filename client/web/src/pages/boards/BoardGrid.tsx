// The board's grid: a head per column (name, count, WIP limit), a row of cells per swimlane,
// and the "add a task" form at the foot of each column.
import { useRef, useState } from 'preact/hooks'
import type { DragDropManager } from '@dnd-kit/dom'
import { Fragment, type Ref } from 'preact'
import type { Board, BoardColumn, Task, TaskCard } from '../../lib/types'
import { toastError } from '../../lib/session'
import { ApiError } from '../../lib/api'
import { cellCards, wipState } from './boardState'
import { useCellDnd, type DropTarget } from './dnd'
import { TaskCardView } from './TaskCardView'
import { boardsApi } from './api'
import { laneName } from './bits'

interface GridProps {
  gridRef: Ref<HTMLDivElement>
  board: Board
  lanes: (string | null)[]
  manager: DragDropManager
  movable: boolean
  picked: string | null
  hover: DropTarget | null
  dragging: string | null
  onOpen: (task: string) => void
  onCardKey: (card: TaskCard, e: KeyboardEvent) => void
  onCreated: (task: Task) => void
}

export function BoardGrid (p: GridProps) {
  const { board, lanes } = p
  return (
    <div class='board-scroll'>
      <div class='board-grid' ref={p.gridRef} style={{ '--cols': String(board.columns.length) }} data-testid='board'>
        {board.columns.map((c) => <ColumnHead key={c.id} column={c} />)}
        {lanes.map((lane) => (
          <Fragment key={`lane-${lane ?? ''}`}>
            {lane !== null && <div class='board-lane-head' role='heading' aria-level={2}>{laneName(lane, board.swimlanes)}</div>}
            {board.columns.map((c) => <Cell key={`${c.id}-${lane ?? ''}`} {...p} column={c} lane={lane} />)}
          </Fragment>
        ))}
        {p.movable && board.columns.map((c) => <AddTask key={`add-${c.id}`} board={board.id} column={c} onCreated={p.onCreated} />)}
      </div>
    </div>
  )
}

function ColumnHead ({ column }: { column: BoardColumn }) {
  const wip = wipState(column)
  const limit = column.wip_limit
  return (
    <div class={`board-col-head wip-${wip}`} data-testid='column-head' data-column={column.id}>
      <h2 class='board-col-name'>{column.name}</h2>
      <span class='board-col-count' data-testid='column-count' title={limit !== null && limit !== undefined ? `${column.count} of at most ${limit}` : `${column.count} tasks`}>
        {column.count}{limit !== null && limit !== undefined && <> / {limit}</>}
        {wip === 'over' && <span class='wip-flag'> · over the limit</span>}
        {wip === 'at' && <span class='sr-only'> (at the limit)</span>}
      </span>
    </div>
  )
}

function Cell (p: GridProps & { column: BoardColumn, lane: string | null }) {
  const { column, lane, board, hover } = p
  const ref = useRef<HTMLUListElement>(null)
  useCellDnd(p.manager, column.id, lane, ref)
  const cards = cellCards(column, lane, board.swimlanes)
  const cellHover = hover?.kind === 'cell' && hover.column === column.id && hover.lane === lane
  const name = lane === null ? column.name : `${column.name}, ${laneName(lane, board.swimlanes)}`
  return (
    <ul ref={ref} class={'board-cell' + (cellHover ? ' drop-here' : '') + (wipState(column) === 'over' ? ' over' : '')} aria-label={name} data-testid='board-cell' data-column={column.id} data-lane={lane ?? ''}>
      {cards.map((card) => (
        <TaskCardView
          key={card.id}
          card={card}
          manager={p.manager}
          movable={p.movable}
          picked={p.picked === card.id || p.dragging === card.id}
          dropBefore={hover?.kind === 'card' && hover.id === card.id && !hover.after}
          dropAfter={hover?.kind === 'card' && hover.id === card.id && hover.after}
          onOpen={() => p.onOpen(card.id)}
          onKeyDown={(e) => p.onCardKey(card, e)}
        />
      ))}
    </ul>
  )
}

function AddTask ({ board, column, onCreated }: { board: string, column: BoardColumn, onCreated: (t: Task) => void }) {
  const [open, setOpen] = useState(false)
  const [title, setTitle] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const id = `add-${column.id}`
  async function submit (e: Event) {
    e.preventDefault()
    if (!title.trim() || busy) return
    setBusy(true)
    try {
      const t = await boardsApi.createTask(board, { title: title.trim(), column: column.id })
      onCreated(t)
      setTitle('')
      setError(null)
    } catch (err) {
      if (err instanceof ApiError && err.fields.title) setError(err.fields.title)
      else toastError(err)
    } finally { setBusy(false) }
  }
  if (!open) return <div class='board-add'><button class='btn-link' onClick={() => setOpen(true)}>+ Add a task<span class='sr-only'> to {column.name}</span></button></div>
  return (
    <form class='board-add' onSubmit={submit}>
      <label class='sr-only' for={id}>New task in {column.name}</label>
      <input id={id} value={title} placeholder='Task title' autoFocus onInput={(e) => setTitle(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Escape') { setOpen(false); setTitle('') } }} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : undefined} />
      {error && <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>}
      <div class='row'>
        <button class='btn btn-primary btn-small' disabled={busy}>Add</button>
        <button type='button' class='btn btn-small' onClick={() => { setOpen(false); setTitle('') }}>Cancel</button>
      </div>
    </form>
  )
}

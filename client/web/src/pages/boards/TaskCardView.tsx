// One card on the board: key, title, labels, due date, blocked marker, subtask and checklist
// progress, assignees. It is focusable; Enter opens the task, Space picks it up for a keyboard
// move (BoardView handles the keys), and the pointer drags it (dnd.ts).
import { useRef } from 'preact/hooks'
import type { DragDropManager } from '@dnd-kit/dom'
import type { TaskCard } from '../../lib/types'
import { userById } from '../../lib/session'
import { Avatar } from '../../ui/common'
import { useCardDnd } from './dnd'
import { LabelChip, DueDate, PriorityMark } from './bits'

export const CARD_HELP_ID = 'board-card-help'

export function TaskCardView ({ card, manager, movable, picked, dropBefore, dropAfter, onOpen, onKeyDown }: {
  card: TaskCard
  manager: DragDropManager
  movable: boolean
  picked: boolean
  dropBefore: boolean
  dropAfter: boolean
  onOpen: () => void
  onKeyDown: (e: KeyboardEvent) => void
}) {
  const ref = useRef<HTMLDivElement>(null)
  useCardDnd(manager, card.id, ref, !movable)
  const people = card.assignees.map((id) => userById.value.get(id) ?? { id, name: 'Unknown person' })
  const label = `${card.key} ${card.title}${card.blocked ? ', blocked' : ''}`
  return (
    <li class={'task-card-item' + (dropBefore ? ' drop-before' : '') + (dropAfter ? ' drop-after' : '')}>
      <div
        ref={ref}
        class={'task-card' + (picked ? ' picked' : '') + (card.closed ? ' closed' : '') + (card.blocked ? ' blocked' : '')}
        data-card={card.id}
        data-testid='task-card'
        tabIndex={0}
        role='button'
        aria-label={label}
        aria-describedby={movable ? CARD_HELP_ID : undefined}
        aria-pressed={movable ? picked : undefined}
        onClick={onOpen}
        onKeyDown={onKeyDown}
      >
        <div class='task-card-top'>
          <span class='task-key'>{card.key}</span>
          <PriorityMark priority={card.priority} />
          {card.blocked && <span class='chip chip-blocked' data-testid='blocked'>Blocked</span>}
        </div>
        <div class='task-title'>{card.title}</div>
        {card.labels.length > 0 && <div class='chips'>{card.labels.map((l) => <LabelChip key={l} label={l} />)}</div>}
        <div class='task-card-foot'>
          {card.due && <DueDate due={card.due} closed={card.closed} />}
          {card.subtasks_total > 0 && <Progress done={card.subtasks_done} total={card.subtasks_total} what='subtasks' />}
          {card.checklist_total > 0 && <Progress done={card.checklist_done} total={card.checklist_total} what='checklist items' />}
          <span class='grow' />
          <span class='avatars'>{people.slice(0, 3).map((p) => <Avatar key={p.id} id={p.id} name={p.name} size={22} />)}{people.length > 3 && <span class='muted small'>+{people.length - 3}</span>}</span>
        </div>
      </div>
    </li>
  )
}

function Progress ({ done, total, what }: { done: number, total: number, what: string }) {
  return (
    <span class='progress-mini' title={`${done} of ${total} ${what} done`}>
      <span class='sr-only'>{`${done} of ${total} ${what} done`}</span>
      <span aria-hidden='true'>{what === 'subtasks' ? '⑂' : '☑'} {done}/{total}</span>
    </span>
  )
}

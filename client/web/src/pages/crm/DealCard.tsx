// One deal on the pipeline board: name, client, amount, probability, owner and expected close.
// It is focusable; Enter opens the deal, Space picks it up for a keyboard move (the board
// handles the keys), and the pointer drags it (boards/dnd.ts).
import { useRef } from 'preact/hooks'
import type { DragDropManager } from '@dnd-kit/dom'
import { Avatar } from '../../ui/common'
import { useCardDnd } from '../boards/dnd'
import type { Deal } from './api'
import { amountText, ownerName } from './bits'
import { ownerOf } from './pipeline'

export const DEAL_HELP_ID = 'deal-card-help'

export function DealCard ({ deal, client, manager, movable, picked, busy, onOpen, onKeyDown }: {
  deal: Deal
  client: string | undefined
  manager: DragDropManager
  movable: boolean
  picked: boolean
  busy: boolean
  onOpen: () => void
  onKeyDown: (e: KeyboardEvent) => void
}) {
  const ref = useRef<HTMLDivElement>(null)
  useCardDnd(manager, deal.id, ref, !movable || busy)
  const owner = ownerName(deal)
  const amount = amountText(deal.amount, deal.currency)
  const close = deal.expected_close ? `expected to close ${deal.expected_close}` : 'no expected close date'
  return (
    <li class='deal-card-item'>
      <div
        ref={ref}
        class={'deal-card' + (picked ? ' picked' : '') + (busy ? ' busy' : '') + (movable ? '' : ' fixed')}
        data-card={deal.id}
        data-deal={deal.id}
        data-testid='deal-card'
        tabIndex={0}
        role='button'
        aria-label={`${deal.name}, ${client ?? 'client'}, ${amount}, ${owner}, ${close}`}
        aria-describedby={DEAL_HELP_ID}
        aria-pressed={movable ? picked : undefined}
        aria-busy={busy || undefined}
        onClick={onOpen}
        onKeyDown={onKeyDown}
      >
        <div class='deal-name'>{deal.name}</div>
        <div class='muted small deal-client'>{client ?? '…'}</div>
        <div class='deal-figures'>
          <strong class='deal-amount' data-testid='deal-amount'>{amount}</strong>
          {deal.probability !== null && deal.probability !== undefined && <span class='muted small' title='Probability'>{deal.probability} %</span>}
        </div>
        <div class='deal-foot'>
          <Avatar id={ownerOf(deal)} name={owner} size={22} />
          <span class='small deal-owner'>{owner}</span>
          <span class='grow' />
          <span class={'small deal-close' + (deal.expected_close ? '' : ' muted')} title='Expected close'>{deal.expected_close ?? 'No date'}</span>
        </div>
      </div>
    </li>
  )
}

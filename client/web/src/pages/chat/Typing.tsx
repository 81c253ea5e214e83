import { userById } from '../../lib/session'

/** Who is typing in a channel or thread, in words (announced politely to screen readers). */
export function Typing ({ ids }: { ids: string[] }) {
  const names = ids.map((id) => userById.value.get(id)?.name ?? 'Someone')
  return (
    <div class='typing' aria-live='polite'>
      {names.length === 1 && `${names[0]} is typing…`}
      {names.length === 2 && `${names[0]} and ${names[1]} are typing…`}
      {names.length > 2 && 'Several people are typing…'}
    </div>
  )
}

import type { Message } from '../../lib/types'

/** `list` with the message of `m`'s id replaced by `m` (an edit, deletion or new reply count). */
export function replaceIn (list: Message[], m: Message): Message[] {
  return list.map((x) => x.id === m.id ? m : x)
}

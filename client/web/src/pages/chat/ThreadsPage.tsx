import { useEffect, useState } from 'preact/hooks'
import { api } from '../../lib/api'
import type { Message } from '../../lib/types'
import { plural, stripMarkdown } from '../../lib/text'
import { Avatar, Empty, ErrorBox, Spinner } from '../../ui/common'

export function ThreadsPage ({ org }: { org: string }) {
  const [items, setItems] = useState<{ root: Message, unread: number, mentions: number }[] | null>(null)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => { api.get<{ items: { root: Message, unread: number, mentions: number }[] }>(`/api/v1/orgs/${org}/threads`).then((r) => setItems(r.items), setError) }, [org])
  return (
    <section class='page'>
      <h1>Threads</h1>
      <ErrorBox error={error} />
      {!items && !error
        ? <Spinner />
        : !items
            ? null
            : !items.length
                ? <Empty title='No threads yet'>Threads you start, reply to or follow show up here.</Empty>
                : (
              <ul class='list'>
                {items.map((t) => (
                  <li key={t.root.id} class={'list-row' + (t.unread ? ' unread' : '')}>
                    <Avatar id={t.root.author.id} name={t.root.author.name} />
                    <a class='grow' href={`/o/${org}/chat/${t.root.channel_id}?m=${t.root.id}`}>
                      <strong>{t.root.author.name}</strong> <span class='notif-snippet'>{stripMarkdown(t.root.text) || 'Deleted message'}</span>
                    </a>
                    <span class='muted small'>{plural(t.root.reply_count, 'reply', 'replies')}</span>
                    {t.mentions ? <span class='badge badge-mention'>{t.mentions}</span> : t.unread ? <span class='badge'>{t.unread}</span> : null}
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

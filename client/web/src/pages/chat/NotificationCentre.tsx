import { useEffect, useState } from 'preact/hooks'
import { navigate } from '../../lib/router'
import { toastError } from '../../lib/session'
import { api } from '../../lib/api'
import type { Doc, Notification } from '../../lib/types'
import { formatTime, stripMarkdown } from '../../lib/text'
import { Avatar, Empty, ErrorBox, Spinner } from '../../ui/common'
import { notifications, markNotificationsRead, loadNotifications } from '../../chat/store'
import { timesheetPath } from '../timesheets/links'

const kindLabel: Record<string, string> = {
  mention: 'mentioned you',
  reply: 'replied in a thread',
  dm: 'sent you a message',
  message: 'posted',
  timesheet_submitted: 'submitted a timesheet for your approval',
  timesheet_approved: 'approved your timesheet',
  timesheet_rejected: 'rejected your timesheet',
  timesheet_due: 'your timesheet is due',
  doc_comment: 'commented on a document'
}

export function NotificationCentre ({ org }: { org: string }) {
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    loadNotifications().catch(setError).finally(() => setLoading(false))
  }, [])
  const list = notifications.value.filter((n) => n.org_id === org)
  async function open (n: Notification) {
    if (!n.read_at) markNotificationsRead([n.id]).catch(() => {})
    const timesheet = timesheetPath(org, n)
    if (timesheet) navigate(timesheet)
    else if (n.kind === 'doc_comment' && n.channel_id) {
      // The document's page needs its project: asked for on the way there.
      try {
        const doc = await api.get<Doc>(`/api/v1/docs/${n.channel_id}`)
        navigate(`/o/${org}/p/${doc.project_id}/docs/${doc.id}${n.thread_id ? `?comment=${encodeURIComponent(n.thread_id)}` : ''}`)
      } catch (e) { toastError(e) }
    }
    else if (n.channel_id) navigate(`/o/${org}/chat/${n.channel_id}${n.message_id ? `?m=${encodeURIComponent(n.message_id)}` : ''}`)
  }
  return (
    <section class='page'>
      <div class='page-head'>
        <h1>Notifications</h1>
        {list.some((n) => !n.read_at) && <button class='btn' onClick={() => markNotificationsRead().catch(toastError)}>Mark all read</button>}
      </div>
      <ErrorBox error={error} />
      {loading && !list.length
        ? <Spinner />
        : !list.length
            ? (error ? null : <Empty title='You are all caught up'>Mentions, replies and direct messages show up here.</Empty>)
            : (
              <ul class='list notifications' data-testid='notifications'>
                {list.map((n) => (
                  <li key={n.id} class={'list-row notification' + (n.read_at ? '' : ' unread')}>
                    <Avatar id={n.actor?.id ?? 'system'} name={n.actor?.name ?? 'Atrium'} />
                    <button class='btn-link grow left' onClick={() => open(n)}>
                      <strong>{n.actor?.name ?? (n.kind === 'timesheet_due' ? 'Reminder' : 'Someone')}</strong>{n.kind === 'timesheet_due' && !n.actor ? ':' : ''} {kindLabel[n.kind] ?? n.kind}
                      <span class='notif-snippet'>{stripMarkdown(n.snippet)}</span>
                    </button>
                    <span class='muted small'>{formatTime(n.created_at)}</span>
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

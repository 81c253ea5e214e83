import { Icon } from '../../ui/icons'
import { useState } from 'preact/hooks'
import { api } from '../../lib/api'
import { me, userById, toast, toastError } from '../../lib/session'
import type { Message } from '../../lib/types'
import { renderMarkdown } from '../../lib/markdown'
import { formatTime } from '../../lib/text'
import { Avatar, Modal, confirmDialog } from '../../ui/common'
import { AttachmentView } from './Attachment'

const QUICK_EMOJI = ['👍', '❤️', '😄', '🎉', '👀', '✅']

export function MessageItem ({ m, org, grouped, focused, onThread, inThread }: { m: Message, org: string, grouped: boolean, focused: boolean, onThread?: () => void, inThread?: boolean }) {
  const self = me.value!.user.id
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState(m.text)
  const [picker, setPicker] = useState(false)
  const [history, setHistory] = useState<{ text: string, replaced_at?: number }[] | null>(null)
  // The server's `can` flags decide; messages that arrived as events carry none, and then only
  // the author is offered edit and delete (the server still decides on the request).
  const mine = m.author.id === self
  const mayEdit = m.can ? m.can.write : mine
  const mayDelete = m.can ? m.can.delete : mine
  async function showHistory () {
    try { setHistory((await api.get<{ items: { text: string, replaced_at?: number }[] }>(`/api/v1/messages/${m.id}/history`)).items) } catch (e) { toastError(e) }
  }
  async function saveEdit (e: Event) {
    e.preventDefault()
    try {
      await api.patch(`/api/v1/messages/${m.id}`, { text })
      setEditing(false)
    } catch (err) { toastError(err) }
  }
  async function del () {
    if (!await confirmDialog({ title: 'Delete this message?', message: 'Everyone in the conversation sees that it was deleted.', action: 'Delete', danger: true })) return
    try { await api.del(`/api/v1/messages/${m.id}`) } catch (e) { toastError(e) }
  }
  async function react (emoji: string) {
    setPicker(false)
    const mineR = m.reactions.find((r) => r.emoji === emoji)?.user_ids.includes(self)
    try {
      if (mineR) await api.del(`/api/v1/messages/${m.id}/reactions?emoji=${encodeURIComponent(emoji)}`)
      else await api.post(`/api/v1/messages/${m.id}/reactions`, { emoji })
    } catch (e) { toastError(e) }
  }
  function copyLink () {
    const url = `${location.origin}/o/${org}/chat/${m.channel_id}?m=${m.id}`
    navigator.clipboard?.writeText(url).then(() => toast('Link copied', 'success'), () => toast(url))
  }
  return (
    <article class={'msg' + (grouped ? ' grouped' : '') + (focused ? ' focused' : '') + (m.mentions.includes(self) ? ' mentions-me' : '')} data-message={m.id} tabIndex={-1} aria-label={`${m.author.name}, ${formatTime(m.created_at)}`}>
      {!grouped ? <Avatar id={m.author.id} name={m.author.name} size={32} /> : <span class='msg-gutter' />}
      <div class='msg-body'>
        {!grouped && <div class='msg-head'><strong>{m.author.name}</strong> <time class='muted small' dateTime={new Date(m.created_at).toISOString()}>{formatTime(m.created_at)}</time></div>}
        {m.deleted
          ? <p class='muted deleted'>This message was deleted.</p>
          : editing
            ? (
              <form onSubmit={saveEdit} class='edit-form'>
                <label class='sr-only' for={`edit-${m.id}`}>Edit message</label>
                <textarea id={`edit-${m.id}`} value={text} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={(e) => { if (e.key === 'Escape') setEditing(false); if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); saveEdit(e) } }} autoFocus />
                <div class='row'><button class='btn btn-small btn-primary'>Save</button><button type='button' class='btn btn-small' onClick={() => setEditing(false)}>Cancel</button></div>
              </form>
              )
            : <div class='msg-text' dangerouslySetInnerHTML={{ __html: renderMarkdown(m.text) }} />}
        {m.edited_at && !m.deleted && <button class='btn-link muted small' onClick={showHistory} title='Show earlier versions'>(edited)</button>}
        {history && (
          <Modal title='Edit history' onClose={() => setHistory(null)}>
            <ul class='list'>
              {history.map((h, i) => <li key={i} class='list-row'><div class='grow msg-text' dangerouslySetInnerHTML={{ __html: renderMarkdown(h.text) }} /><span class='muted small'>{h.replaced_at ? `replaced ${formatTime(h.replaced_at)}` : ''}</span></li>)}
              {!history.length && <li class='muted pad'>No earlier versions.</li>}
            </ul>
          </Modal>
        )}
        {!m.deleted && m.attachments.length > 0 && <div class='attachments'>{m.attachments.map((a) => <AttachmentView key={a.id} a={a} />)}</div>}
        {m.reactions.length > 0 && (
          <div class='reactions'>
            {m.reactions.map((r) => (
              <button key={r.emoji} class={'reaction' + (r.user_ids.includes(self) ? ' mine' : '')} onClick={() => react(r.emoji)} aria-pressed={r.user_ids.includes(self)} title={r.user_ids.map((id) => userById.value.get(id)?.name ?? 'someone').join(', ')}>
                {r.emoji} {r.count}
              </button>
            ))}
          </div>
        )}
        {!inThread && m.reply_count > 0 && <button class='btn-link small thread-link' onClick={onThread}>{m.reply_count} {m.reply_count === 1 ? 'reply' : 'replies'}{m.last_reply_at ? ` · last ${formatTime(m.last_reply_at)}` : ''}</button>}
      </div>
      {!m.deleted && !editing && (
        <div class='msg-actions' role='toolbar' aria-label='Message actions'>
          <button class='btn-icon' aria-label='Add reaction' onClick={() => setPicker(!picker)}><Icon name='smile' size={16} /></button>
          {!inThread && <button class='btn-icon' aria-label='Reply in thread' onClick={onThread}><Icon name='reply' size={16} /></button>}
          <button class='btn-icon' aria-label='Copy link' onClick={copyLink}><Icon name='link' size={16} /></button>
          {mayEdit && <button class='btn-icon' aria-label='Edit message' onClick={() => { setText(m.text); setEditing(true) }}><Icon name='edit' size={16} /></button>}
          {mayDelete && <button class='btn-icon' aria-label='Delete message' onClick={del}><Icon name='trash' size={16} /></button>}
          {picker && <div class='emoji-picker' role='menu'>{QUICK_EMOJI.map((e) => <button key={e} role='menuitem' class='btn-icon' onClick={() => react(e)} aria-label={`React with ${e}`}>{e}</button>)}</div>}
        </div>
      )}
    </article>
  )
}

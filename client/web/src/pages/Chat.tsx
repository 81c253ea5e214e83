import { Icon } from '../ui/icons'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { api, upload, ApiError } from '../lib/api'
import { navigate, query } from '../lib/router'
import { me, members, projects, userById, events, toast, toastError } from '../lib/session'
import type { Channel, Message, MessagePage, NotifyLevel, Attachment, Notification } from '../lib/types'
import { renderMarkdown } from '../lib/markdown'
import { mentionAt, completeMention, filterPeople, formatTime, formatBytes, stripMarkdown } from '../lib/text'
import { Avatar, Empty, ErrorBox, Field, Modal, PresenceDot, Spinner, useSubmit, useTitle } from '../ui/common'
import {
  channels, channelsLoading, chatAvailable, activeChannel, onChannelEvent, onResync, markRead, typing,
  channelLabel, upsertChannel, notifications, markNotificationsRead, loadNotifications, presence
} from '../chat/store'

const QUICK_EMOJI = ['👍', '❤️', '😄', '🎉', '👀', '✅']
const PAGE = 50

export function ChatHome ({ org }: { org: string }) {
  const [creating, setCreating] = useState(false)
  const first = channels.value.find((c) => c.kind === 'channel' && !c.archived) ?? channels.value[0]
  useEffect(() => { if (first) navigate(`/o/${org}/chat/${first.id}`, { replace: true }) }, [first?.id])
  if (!chatAvailable.value) return <section class='page'><Empty title='Chat is not available on this server yet' /></section>
  if (channelsLoading.value) return <section class='page'><Spinner /></section>
  return (
    <section class='page'>
      <Empty title='No channels yet'><button class='btn btn-primary' onClick={() => setCreating(true)}>Create a channel</button></Empty>
      {creating && <NewChannelDialog org={org} onClose={() => setCreating(false)} />}
    </section>
  )
}

export function NewChannelDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [name, setName] = useState('')
  const [topic, setTopic] = useState('')
  const [priv, setPriv] = useState(false)
  const [project, setProject] = useState(projects.value[0]?.id ?? '')
  const s = useSubmit()
  async function submit (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.post<Channel>(`/api/v1/projects/${project}/channels`, { name, topic, private: priv }))
    if (c) { upsertChannel(c); onClose(); navigate(`/o/${org}/chat/${c.id}`) }
  }
  return (
    <Modal title='New channel' onClose={onClose}>
      {!projects.value.length
        ? <Empty title='Create a project first'>Channels belong to a project.</Empty>
        : (
          <form class='stack' onSubmit={submit}>
            <div class='field'>
              <label for='ch-project'>Project</label>
              <select id='ch-project' value={project} onChange={(e) => setProject(e.currentTarget.value)}>{projects.value.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}</select>
            </div>
            <Field label='Name' name='channel-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
            <Field label='Topic (optional)' name='channel-topic' value={topic} onInput={(e) => setTopic(e.currentTarget.value)} error={s.fields.topic} />
            <label class='check'><input type='checkbox' checked={priv} onChange={(e) => setPriv(e.currentTarget.checked)} /> Private: only invited members can see it</label>
            <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
            <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending}>Create</button></div>
          </form>
          )}
    </Modal>
  )
}

export function NewDmDialog ({ org, onClose }: { org: string, onClose: () => void }) {
  const [picked, setPicked] = useState<string[]>([])
  const [filter, setFilter] = useState('')
  const s = useSubmit()
  const self = me.value!.user.id
  const people = filterPeople(members.value.map((m) => m.user).filter((u) => u.id !== self), filter, 50)
  async function submit (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.post<Channel>(`/api/v1/orgs/${org}/dms`, { user_ids: picked }))
    if (c) { upsertChannel(c); onClose(); navigate(`/o/${org}/chat/${c.id}`) }
  }
  return (
    <Modal title='New direct message' onClose={onClose}>
      <form class='stack' onSubmit={submit}>
        <Field label='Find people' name='dm-filter' value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        <ul class='list pick-list'>
          {people.map((u) => (
            <li key={u.id} class='list-row'>
              <label class='check grow'>
                <input type='checkbox' checked={picked.includes(u.id)} onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, u.id] : picked.filter((x) => x !== u.id))} />
                <Avatar id={u.id} name={u.name} size={24} /> {u.name} <span class='muted'>@{u.handle}</span>
              </label>
            </li>
          ))}
          {!people.length && <li class='muted pad'>No one matches.</li>}
        </ul>
        <ErrorBox error={s.error} />
        <div class='row-end'><button type='button' class='btn' onClick={onClose}>Cancel</button><button class='btn btn-primary' disabled={s.pending || !picked.length}>Open conversation</button></div>
      </form>
    </Modal>
  )
}

function replaceIn (list: Message[], m: Message): Message[] {
  return list.map((x) => x.id === m.id ? m : x)
}

export function ChannelView ({ org, channel }: { org: string, channel: string }) {
  const ch = channels.value.find((c) => c.id === channel)
  const [items, setItems] = useState<Message[]>([])
  const [moreBefore, setMoreBefore] = useState(false)
  const [moreAfter, setMoreAfter] = useState(false)
  const [loading, setLoading] = useState(true)
  const [olderLoading, setOlderLoading] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [thread, setThread] = useState<string | null>(null)
  const [focus, setFocus] = useState<string | null>(null)
  const [channelInfo, setChannelInfo] = useState<Channel | null>(null)
  const [details, setDetails] = useState(false)
  const scroller = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const permalink = query.value.get('m')
  const c = ch ?? channelInfo

  useEffect(() => {
    activeChannel.value = channel
    return () => { if (activeChannel.value === channel) activeChannel.value = null }
  }, [channel])

  useEffect(() => {
    if (!ch) api.get<Channel>(`/api/v1/channels/${channel}`).then(setChannelInfo, () => {})
  }, [channel, !!ch])

  async function loadLatest () {
    setLoading(true)
    setError(null)
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?limit=${PAGE}`)
      setItems(page.items)
      setMoreBefore(page.has_more_before)
      setMoreAfter(false)
      stick.current = true
    } catch (e) { setError(e) } finally { setLoading(false) }
  }

  async function loadAround (id: string) {
    setLoading(true)
    setError(null)
    try {
      const target = await api.get<Message>(`/api/v1/messages/${id}`)
      const anchor = target.thread_id ?? target.id
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?around=${encodeURIComponent(anchor)}&limit=${PAGE}`)
      setItems(page.items)
      setMoreBefore(page.has_more_before)
      setMoreAfter(page.has_more_after)
      stick.current = false
      if (target.thread_id) setThread(target.thread_id)
      setFocus(target.id)
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) toast('That message no longer exists.', 'error')
      await loadLatest()
    } finally { setLoading(false) }
  }

  useEffect(() => {
    setItems([])
    setThread(null)
    setFocus(null)
    if (permalink) loadAround(permalink)
    else loadLatest()
  }, [channel, permalink])

  useEffect(() => onResync(() => { if (!moreAfter) loadLatest() }), [channel, moreAfter])

  // Live updates.
  useEffect(() => onChannelEvent((type, data) => {
    if (type === 'reaction.updated') {
      if (data.channel_id !== channel) return
      setItems((list) => list.map((m) => m.id === data.message_id ? { ...m, reactions: data.reactions } : m))
      return
    }
    const m = data as Message
    if (!m || m.channel_id !== channel) return
    if (type === 'message.created') {
      if (m.thread_id) return
      if (moreAfter) return
      setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m])
    } else if (type === 'message.updated' || type === 'message.deleted' || type === 'thread.updated') {
      if (m.thread_id) return
      setItems((list) => replaceIn(list, m))
    }
  }), [channel, moreAfter])

  // Read marker: the newest message on screen, while the tab is visible.
  const newest = items[items.length - 1]
  useEffect(() => {
    if (!newest || moreAfter) return
    const mark = () => { if (!document.hidden) markRead(channel, newest.id) }
    mark()
    document.addEventListener('visibilitychange', mark)
    return () => document.removeEventListener('visibilitychange', mark)
  }, [newest?.id, channel, moreAfter])

  // Scrolling: stay at the bottom when already there; keep position when older pages load.
  const prevHeight = useRef(0)
  useLayoutEffect(() => {
    const el = scroller.current
    if (!el) return
    if (focus) {
      const target = el.querySelector<HTMLElement>(`[data-message="${focus}"]`)
      if (target) { target.scrollIntoView({ block: 'center' }); target.focus() }
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight
    } else if (prevHeight.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current
    }
    prevHeight.current = 0
  }, [items, focus])

  async function loadOlder () {
    if (olderLoading || !moreBefore || !items.length) return
    setOlderLoading(true)
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?before=${encodeURIComponent(items[0].id)}&limit=${PAGE}`)
      prevHeight.current = scroller.current?.scrollHeight ?? 0
      stick.current = false
      setFocus(null)
      setItems((list) => [...page.items.filter((m) => !list.some((x) => x.id === m.id)), ...list])
      setMoreBefore(page.has_more_before)
    } catch (e) { toastError(e) } finally { setOlderLoading(false) }
  }
  async function loadNewer () {
    if (!moreAfter || !items.length) return
    try {
      const page = await api.get<MessagePage>(`/api/v1/channels/${channel}/messages?after=${encodeURIComponent(items[items.length - 1].id)}&limit=${PAGE}`)
      setItems((list) => [...list, ...page.items.filter((m) => !list.some((x) => x.id === m.id))])
      setMoreAfter(page.has_more_after)
    } catch (e) { toastError(e) }
  }
  function onScroll () {
    const el = scroller.current!
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40
    if (el.scrollTop < 120) loadOlder()
    if (stick.current && moreAfter) loadNewer()
  }

  async function setNotify (level: NotifyLevel) {
    try {
      await api.put(`/api/v1/channels/${channel}/notify`, { level })
      if (c) upsertChannel({ ...c, notify: level })
    } catch (e) { toastError(e) }
  }

  const self = me.value!.user.id
  const title = c ? (c.kind === 'dm' ? channelLabel(c, self, userById.value) : `# ${c.name}`) : ''
  const typers = Object.keys(typing.value[channel] ?? {})
  useTitle(title || 'Chat')
  return (
    <section class={'chat' + (thread ? ' with-thread' : '')}>
      <div class='chat-main'>
        <header class='chat-head'>
          <div>
            <h1 class='chat-title'>{title}</h1>
            {c?.topic && <p class='muted small chat-topic'>{c.topic}</p>}
          </div>
          {c && (
            <div class='row'>
              {c.kind === 'dm' && c.member_ids.filter((id) => id !== self).map((id) => <PresenceDot key={id} status={presence.value[id]} name={userById.value.get(id)?.name} />)}
              <button class='btn btn-small' onClick={() => setDetails(true)}>{c.kind === 'dm' ? 'Details' : 'Channel details'}</button>
              <label class='sr-only' for='notify-level'>Notifications for this channel</label>
              <select id='notify-level' value={c.notify} onChange={(e) => setNotify(e.currentTarget.value as NotifyLevel)} title='Notifications'>
                <option value='all'>Notify: all</option>
                <option value='mentions'>Notify: mentions</option>
                <option value='none'>Notify: none</option>
              </select>
            </div>
          )}
        </header>
        <div class='messages' ref={scroller} onScroll={onScroll} role='log' aria-label='Messages' aria-live='polite' data-testid='messages'>
          {moreBefore && <div class='older'>{olderLoading ? <Spinner delay={0} label='Loading older messages…' /> : <button class='btn btn-small' onClick={loadOlder}>Load older messages</button>}</div>}
          {!moreBefore && !loading && items.length > 0 && <p class='muted small center'>This is the beginning of {title}.</p>}
          <ErrorBox error={error} retry={loadLatest} />
          {loading && !items.length && <Spinner />}
          {!loading && !error && !items.length && <Empty title='No messages yet'>Say hello below.</Empty>}
          {items.map((m, i) => (
            <MessageItem key={m.id} m={m} org={org} grouped={i > 0 && items[i - 1].author.id === m.author.id && m.created_at - items[i - 1].created_at < 5 * 60_000 && !items[i - 1].deleted} focused={focus === m.id} onThread={() => setThread(m.id)} />
          ))}
          {moreAfter && <div class='older'><button class='btn btn-small' onClick={loadNewer}>Load newer messages</button></div>}
        </div>
        <Typing ids={typers} />
        {c && !c.archived
          ? <Composer channel={c} label={`Message ${title}`} onSent={(m) => { stick.current = true; setFocus(null); if (!moreAfter) setItems((list) => list.some((x) => x.id === m.id) ? list : [...list, m]); else { navigate(`/o/${org}/chat/${channel}`) } }} />
          : c?.archived ? <p class='muted pad'>This channel is archived.</p> : null}
      </div>
      {details && c && <ChannelDetails org={org} channel={c} onClose={() => setDetails(false)} />}
      {thread && c && <ThreadPanel org={org} channel={c} root={thread} focus={focus} onClose={() => setThread(null)} />}
    </section>
  )
}

function Typing ({ ids }: { ids: string[] }) {
  const names = ids.map((id) => userById.value.get(id)?.name ?? 'Someone')
  return (
    <div class='typing' aria-live='polite'>
      {names.length === 1 && `${names[0]} is typing…`}
      {names.length === 2 && `${names[0]} and ${names[1]} are typing…`}
      {names.length > 2 && 'Several people are typing…'}
    </div>
  )
}

function MessageItem ({ m, org, grouped, focused, onThread, inThread }: { m: Message, org: string, grouped: boolean, focused: boolean, onThread?: () => void, inThread?: boolean }) {
  const self = me.value!.user.id
  const [editing, setEditing] = useState(false)
  const [text, setText] = useState(m.text)
  const [picker, setPicker] = useState(false)
  const [history, setHistory] = useState<{ text: string, replaced_at?: number }[] | null>(null)
  const mine = m.author.id === self
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
    if (!confirm('Delete this message?')) return
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
          {mine && <button class='btn-icon' aria-label='Edit message' onClick={() => { setText(m.text); setEditing(true) }}><Icon name='edit' size={16} /></button>}
          {mine && <button class='btn-icon' aria-label='Delete message' onClick={del}><Icon name='trash' size={16} /></button>}
          {picker && <div class='emoji-picker' role='menu'>{QUICK_EMOJI.map((e) => <button key={e} role='menuitem' class='btn-icon' onClick={() => react(e)} aria-label={`React with ${e}`}>{e}</button>)}</div>}
        </div>
      )}
    </article>
  )
}

function AttachmentView ({ a }: { a: Attachment }) {
  const src = `/api/v1/files/${a.id}/content`
  if (a.content_type.startsWith('image/')) {
    return <a class='attachment attachment-image' href={src} target='_blank' rel='noopener'><img src={`/api/v1/files/${a.id}/thumbnail`} alt={a.name} loading='lazy' /></a>
  }
  return <a class='attachment' href={src} download={a.name}><span class='file-icon'>{a.content_type === 'application/pdf' ? 'PDF' : 'FILE'}</span> {a.name} <span class='muted small'>{formatBytes(a.size)}</span></a>
}

function Composer ({ channel, thread, label, onSent }: { channel: Channel, thread?: string, label: string, onSent: (m: Message) => void }) {
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const [attachments, setAttachments] = useState<{ id?: string, name: string, progress: number, abort?: () => void }[]>([])
  const [suggest, setSuggest] = useState<{ start: number, query: string, index: number } | null>(null)
  const area = useRef<HTMLTextAreaElement>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const lastTyping = useRef(0)
  const draftKey = `atrium.draft.${channel.id}${thread ? ':' + thread : ''}`
  useEffect(() => {
    try { setText(sessionStorage.getItem(draftKey) ?? '') } catch {}
  }, [draftKey])
  const people = [
    ...members.value.map((m) => m.user),
    ...(channel.kind === 'channel'
      ? [{ id: '@channel', handle: 'channel', name: 'Everyone in this channel' }, { id: '@here', handle: 'here', name: 'Everyone online in this channel' }]
      : [])
  ]
  const matches = suggest ? filterPeople(people, suggest.query, 6) : []

  function onInput (e: Event) {
    const el = e.currentTarget as HTMLTextAreaElement
    setText(el.value)
    setError(null)
    try { sessionStorage.setItem(draftKey, el.value) } catch {}
    const at = mentionAt(el.value, el.selectionStart ?? el.value.length)
    setSuggest(at ? { ...at, index: 0 } : null)
    const now = Date.now()
    if (el.value && now - lastTyping.current > 3000) {
      lastTyping.current = now
      events.send({ type: 'typing', channel: channel.id, ...(thread ? { thread } : {}) })
    }
  }
  function pick (handle: string) {
    const el = area.current!
    const caret = el.selectionStart ?? text.length
    const r = completeMention(text, suggest!.start, caret, handle)
    // Write the completion and its caret into the field now, not on a later frame: keys typed
    // right after the pick must land after the handle (a deferred caret move put them before it).
    el.value = r.value
    el.setSelectionRange(r.caret, r.caret)
    el.focus()
    setText(r.value)
    try { sessionStorage.setItem(draftKey, r.value) } catch {}
    setSuggest(null)
  }
  function onKeyDown (e: KeyboardEvent) {
    if (suggest && matches.length) {
      if (e.key === 'ArrowDown') { e.preventDefault(); setSuggest({ ...suggest, index: (suggest.index + 1) % matches.length }); return }
      if (e.key === 'ArrowUp') { e.preventDefault(); setSuggest({ ...suggest, index: (suggest.index - 1 + matches.length) % matches.length }); return }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); pick(matches[suggest.index].handle); return }
      if (e.key === 'Escape') { e.preventDefault(); setSuggest(null); return }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send() }
  }
  function attach (files: FileList | File[]) {
    if (!channel.project_id) { toast('Attachments need a project: share files in a project channel.', 'error'); return }
    for (const f of [...files]) {
      const h = upload<{ id: string }>(`/api/v1/projects/${channel.project_id}/files`, f, f.name, (p) => setAttachments((list) => list.map((x) => x.name === f.name ? { ...x, progress: p } : x)))
      setAttachments((list) => [...list, { name: f.name, progress: 0, abort: h.abort }])
      h.promise.then((res) => setAttachments((list) => list.map((x) => x.name === f.name ? { ...x, id: res.id, progress: 1 } : x)), (e) => {
        setAttachments((list) => list.filter((x) => x.name !== f.name))
        if (e.code !== 'aborted') toastError(e)
      })
    }
  }
  async function send () {
    const body = text.trim()
    if ((!body && !attachments.length) || sending) return
    if (attachments.some((a) => !a.id)) { setError('Wait for the attachments to finish uploading.'); return }
    setSending(true)
    try {
      const m = await api.post<Message & { not_notified?: string[], warnings?: { message: string }[] }>(`/api/v1/channels/${channel.id}/messages`, {
        text: body, ...(thread ? { thread } : {}), ...(attachments.length ? { attachments: attachments.map((a) => a.id) } : {})
      })
      setText('')
      setAttachments([])
      try { sessionStorage.removeItem(draftKey) } catch {}
      if (m.not_notified?.length) toast(`Not notified (they cannot see this channel): ${m.not_notified.map((h) => '@' + h).join(', ')}`, 'info', 8000)
      for (const w of m.warnings ?? []) toast(w.message, 'info', 8000)
      onSent(m)
    } catch (e) {
      setError(sendError(e))
    } finally { setSending(false) }
  }
  const id = `composer-${channel.id}${thread ? '-t' : ''}`
  return (
    <div class='composer' onDragOver={(e) => { if (e.dataTransfer?.types.includes('Files')) e.preventDefault() }} onDrop={(e) => { if (e.dataTransfer?.files.length) { e.preventDefault(); attach(e.dataTransfer.files) } }}>
      {suggest && matches.length > 0 && (
        <ul class='suggest suggest-inline' role='listbox' aria-label='People'>
          {matches.map((p, i) => (
            <li key={p.id} role='option' aria-selected={i === suggest.index} class={'suggest-item' + (i === suggest.index ? ' selected' : '')} onMouseDown={(e) => { e.preventDefault(); pick(p.handle) }}>
              <strong>{p.name}</strong> <span class='muted'>@{p.handle}</span>
            </li>
          ))}
        </ul>
      )}
      {attachments.length > 0 && (
        <ul class='pending-attachments'>
          {attachments.map((a) => (
            <li key={a.name}>{a.name} {a.id ? '✓' : <progress max={1} value={a.progress} aria-label={`Uploading ${a.name}`} />} <button class='btn-icon btn-tiny' aria-label={`Remove ${a.name}`} onClick={() => { a.abort?.(); setAttachments((l) => l.filter((x) => x !== a)) }}>×</button></li>
          ))}
        </ul>
      )}
      <div class='composer-row'>
        <button class='btn-icon' aria-label='Attach files' onClick={() => fileInput.current?.click()} disabled={!channel.project_id} title={channel.project_id ? 'Attach files' : 'Attachments are available in project channels'}><Icon name='clip' /></button>
        <input ref={fileInput} type='file' multiple hidden onChange={(e) => { if (e.currentTarget.files) attach(e.currentTarget.files); e.currentTarget.value = '' }} />
        <label class='sr-only' for={id}>{label}</label>
        <textarea id={id} ref={area} rows={1} placeholder={label} value={text} onInput={onInput} onKeyDown={onKeyDown} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : undefined} data-testid={thread ? 'thread-composer' : 'composer'} />
        <button class='btn btn-primary' onClick={send} disabled={sending}>Send</button>
      </div>
      {error && <p id={`${id}-err`} class='field-error' role='alert' data-testid='composer-error'>{error}</p>}
    </div>
  )
}

/** Why a message was not sent, as one sentence for beside the composer (the draft is kept). */
function sendError (e: unknown): string {
  if (!(e instanceof ApiError)) return String(e)
  if (e.fields.text) return e.fields.text
  const msg = e.message ? e.message[0].toUpperCase() + e.message.slice(1).replace(/\.?$/, '.') : 'The server refused the message.'
  // 403: e.g. this role may not use @channel/@all/@here in this organisation.
  if (e.status === 403) return `Not sent: ${msg}`
  return msg
}

function ThreadPanel ({ org, channel, root, focus, onClose }: { org: string, channel: Channel, root: string, focus: string | null, onClose: () => void }) {
  const [data, setData] = useState<{ root: Message, items: Message[] } | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [following, setFollowing] = useState<boolean | null>(null)
  const list = useRef<HTMLDivElement>(null)
  async function load () {
    try {
      const t = await api.get<{ root: Message, items: Message[], following?: boolean }>(`/api/v1/messages/${root}/thread`)
      setData(t)
      setFollowing(!!t.following)
      setError(null)
    } catch (e) { setError(e) }
  }
  useEffect(() => { setData(null); load() }, [root])
  useEffect(() => onResync(load), [root])
  useEffect(() => onChannelEvent((type, d) => {
    if (type === 'reaction.updated') {
      setData((t) => t && { root: t.root.id === d.message_id ? { ...t.root, reactions: d.reactions } : t.root, items: t.items.map((m) => m.id === d.message_id ? { ...m, reactions: d.reactions } : m) })
      return
    }
    const m = d as Message
    if (m.id === root) { setData((t) => t && { ...t, root: m }); return }
    if (m.thread_id !== root) return
    if (type === 'message.created') setData((t) => t && (t.items.some((x) => x.id === m.id) ? t : { ...t, items: [...t.items, m] }))
    else setData((t) => t && { ...t, items: replaceIn(t.items, m) })
  }), [root])
  const last = data?.items[data.items.length - 1]
  useEffect(() => { if (last) markRead(channel.id, last.id, true) }, [last?.id])
  useLayoutEffect(() => {
    const el = list.current
    if (!el) return
    const f = focus && el.querySelector<HTMLElement>(`[data-message="${focus}"]`)
    if (f) f.scrollIntoView({ block: 'center' })
    else el.scrollTop = el.scrollHeight
  }, [data?.items.length])
  async function toggleFollow () {
    try {
      if (following) await api.del(`/api/v1/messages/${root}/follow`)
      else await api.post(`/api/v1/messages/${root}/follow`)
      setFollowing(!following)
    } catch (e) { toastError(e) }
  }
  const typers = Object.keys(typing.value[`${channel.id}:${root}`] ?? {})
  return (
    <aside class='thread' aria-label='Thread'>
      <header class='chat-head'>
        <h2>Thread</h2>
        <div class='row'>
          <button class='btn btn-small' onClick={toggleFollow}>{following ? 'Unfollow' : 'Follow'}</button>
          <button class='btn-icon' aria-label='Close thread' onClick={onClose}>×</button>
        </div>
      </header>
      <div class='messages' ref={list}>
        <ErrorBox error={error} retry={load} />
        {!data && !error && <Spinner />}
        {data && <MessageItem m={data.root} org={org} grouped={false} focused={focus === data.root.id} inThread />}
        {data && <div class='thread-divider muted small'>{data.items.length} {data.items.length === 1 ? 'reply' : 'replies'}</div>}
        {data?.items.map((m) => <MessageItem key={m.id} m={m} org={org} grouped={false} focused={focus === m.id} inThread />)}
      </div>
      <Typing ids={typers} />
      <Composer channel={channel} thread={root} label='Reply…' onSent={(m) => setData((t) => t && (t.items.some((x) => x.id === m.id) ? t : { ...t, items: [...t.items, m] }))} />
    </aside>
  )
}

export function NotificationCentre ({ org }: { org: string }) {
  const [loading, setLoading] = useState(true)
  const [error, setError] = useState<unknown>(null)
  useEffect(() => {
    loadNotifications().catch(setError).finally(() => setLoading(false))
  }, [])
  const list = notifications.value.filter((n) => n.org_id === org)
  function open (n: Notification) {
    if (!n.read_at) markNotificationsRead([n.id]).catch(() => {})
    if (n.channel_id) navigate(`/o/${org}/chat/${n.channel_id}${n.message_id ? `?m=${encodeURIComponent(n.message_id)}` : ''}`)
  }
  const kindLabel: Record<string, string> = { mention: 'mentioned you', reply: 'replied in a thread', dm: 'sent you a message', message: 'posted' }
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
            ? <Empty title='You are all caught up'>Mentions, replies and direct messages show up here.</Empty>
            : (
              <ul class='list notifications' data-testid='notifications'>
                {list.map((n) => (
                  <li key={n.id} class={'list-row notification' + (n.read_at ? '' : ' unread')}>
                    <Avatar id={n.actor?.id ?? 'system'} name={n.actor?.name ?? 'Atrium'} />
                    <button class='btn-link grow left' onClick={() => open(n)}>
                      <strong>{n.actor?.name ?? 'Someone'}</strong> {kindLabel[n.kind] ?? n.kind}
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

function ChannelDetails ({ org, channel, onClose }: { org: string, channel: Channel, onClose: () => void }) {
  const [name, setName] = useState(channel.name)
  const [topic, setTopic] = useState(channel.topic)
  const [people, setPeople] = useState<{ id: string, name: string, handle: string }[] | null>(null)
  const [adding, setAdding] = useState('')
  const s = useSubmit()
  const self = me.value!.user.id
  const loadMembers = () => api.get<{ items: { id: string, name: string, handle: string }[] }>(`/api/v1/channels/${channel.id}/members`).then((r) => setPeople(r.items), toastError)
  useEffect(() => { loadMembers() }, [channel.id])
  async function save (e: Event) {
    e.preventDefault()
    const c = await s.run(() => api.patch<Channel>(`/api/v1/channels/${channel.id}`, { name, topic }))
    if (c) { upsertChannel(c); toast('Channel updated', 'success') }
  }
  async function archive () {
    const c = await s.run(() => api.patch<Channel>(`/api/v1/channels/${channel.id}`, { archived: !channel.archived }))
    if (c) { upsertChannel(c); onClose() }
  }
  async function add () {
    if (!adding) return
    try { await api.post(`/api/v1/channels/${channel.id}/members`, { user_ids: [adding] }); setAdding(''); loadMembers() } catch (e) { toastError(e) }
  }
  async function remove (id: string) {
    try {
      await api.del(`/api/v1/channels/${channel.id}/members/${id}`)
      if (id === self) { channels.value = channels.value.filter((c) => c.id !== channel.id); onClose(); navigate(`/o/${org}/chat`) } else loadMembers()
    } catch (e) { toastError(e) }
  }
  const candidates = members.value.filter((m) => !people?.some((p) => p.id === m.user.id))
  return (
    <Modal title={channel.kind === 'dm' ? 'Conversation' : `# ${channel.name}`} onClose={onClose}>
      {channel.kind === 'channel' && (
        <form class='stack' onSubmit={save}>
          <Field label='Name' name='ch-name' value={name} onInput={(e) => setName(e.currentTarget.value)} error={s.fields.name} />
          <Field label='Topic' name='ch-topic' value={topic} onInput={(e) => setTopic(e.currentTarget.value)} error={s.fields.topic} />
          <ErrorBox error={Object.keys(s.fields).length ? null : s.error} />
          <div class='row-end'><button type='button' class='btn' onClick={archive}>{channel.archived ? 'Unarchive' : 'Archive'}</button><button class='btn btn-primary' disabled={s.pending}>Save</button></div>
        </form>
      )}
      <h3>Members</h3>
      {!people
        ? <Spinner />
        : (
          <ul class='list'>
            {people.map((p) => (
              <li key={p.id} class='list-row'>
                <Avatar id={p.id} name={p.name} size={24} />
                <span class='grow'>{p.name} <span class='muted'>@{p.handle}</span></span>
                <PresenceDot status={presence.value[p.id]} name={p.name} />
                {(channel.private || p.id === self) && channel.kind === 'channel' && <button class='btn btn-small' onClick={() => remove(p.id)}>{p.id === self ? 'Leave' : 'Remove'}</button>}
              </li>
            ))}
          </ul>
          )}
      {channel.private && channel.kind === 'channel' && (
        <div class='row' style={{ marginTop: '10px' }}>
          <label class='sr-only' for='ch-add'>Add someone</label>
          <select id='ch-add' value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            <option value=''>Add someone…</option>
            {candidates.map((m) => <option key={m.user.id} value={m.user.id}>{m.user.name}</option>)}
          </select>
          <button class='btn' onClick={add} disabled={!adding}>Add</button>
        </div>
      )}
    </Modal>
  )
}

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
        : !items?.length
            ? <Empty title='No threads yet'>Threads you start, reply to or follow show up here.</Empty>
            : (
              <ul class='list'>
                {items.map((t) => (
                  <li key={t.root.id} class={'list-row' + (t.unread ? ' unread' : '')}>
                    <Avatar id={t.root.author.id} name={t.root.author.name} />
                    <a class='grow' href={`/o/${org}/chat/${t.root.channel_id}?m=${t.root.id}`}>
                      <strong>{t.root.author.name}</strong> <span class='notif-snippet'>{stripMarkdown(t.root.text) || 'Deleted message'}</span>
                    </a>
                    <span class='muted small'>{t.root.reply_count} replies</span>
                    {t.mentions ? <span class='badge badge-mention'>{t.mentions}</span> : t.unread ? <span class='badge'>{t.unread}</span> : null}
                  </li>
                ))}
              </ul>
              )}
    </section>
  )
}

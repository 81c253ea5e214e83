import { Icon } from '../../ui/icons'
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, upload, ApiError } from '../../lib/api'
import { members, events, toast, toastError } from '../../lib/session'
import type { Channel, Message } from '../../lib/types'
import { mentionAt, completeMention, filterPeople } from '../../lib/text'

export function Composer ({ channel, thread, label, onSent }: { channel: Channel, thread?: string, label: string, onSent: (m: Message) => void }) {
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

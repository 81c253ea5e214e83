import { useEffect, useRef, useState } from 'preact/hooks'
import { signal } from '@preact/signals'
import type { ComponentChildren, PartialInputHTMLAttributes } from 'preact'
import { ApiError } from '../lib/api'
import { initials, plural, userColor } from '../lib/text'
import { toasts } from '../lib/session'
import { path } from '../lib/router'
import { avatarUrls, ensureAvatars } from './avatars'
import { recordVisit } from './palette/recent'

/** A spinner that only appears after `delay` ms, so fast answers do not flash. */
export function Spinner ({ delay = 150, label = 'Loading…' }: { delay?: number, label?: string }) {
  const [show, setShow] = useState(delay === 0)
  useEffect(() => {
    if (delay === 0) return
    const t = setTimeout(() => setShow(true), delay)
    return () => clearTimeout(t)
  }, [delay])
  if (!show) return null
  return <div class='spinner' role='status' aria-live='polite'><span class='spinner-dot' aria-hidden='true' />{label}</div>
}

/** A secret the server gives once (a token, a signing secret): copy it now, it is not shown again. */
export function SecretOnce ({ what, value, testId, onDone }: { what: string, value: string, testId: string, onDone?: () => void }) {
  return (
    <div class='banner banner-info' role='status'>
      <p>Copy the {what} now; it is not shown again:</p>
      <code class='secret' data-testid={testId}>{value}</code>
      {onDone && <button type='button' class='btn btn-small' onClick={onDone}>Done</button>}
    </div>
  )
}

export function Empty ({ title, children }: { title: string, children?: ComponentChildren }) {
  return <div class='empty'><p class='empty-title'>{title}</p>{children && <div class='empty-body'>{children}</div>}</div>
}

export function ErrorBox ({ error, retry }: { error: unknown, retry?: () => void }) {
  if (!error) return null
  const msg = error instanceof ApiError ? error.message : (error as Error)?.message || String(error)
  return (
    <div class='error-box' role='alert'>
      <span>{msg}</span>
      {retry && <button type='button' class='btn btn-small' onClick={retry}>Try again</button>}
    </div>
  )
}

/** A labelled input with its validation error (422 `fields`) beside it. */
export function Field ({ label, name, error, hint, ...rest }: { label: string, name: string, error?: string, hint?: string } & Omit<PartialInputHTMLAttributes<HTMLInputElement>, 'name' | 'label'>) {
  const id = `f-${name}`
  return (
    <div class={'field' + (error ? ' field-invalid' : '')}>
      <label for={id}>{label}</label>
      <input {...(rest as any)} id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-err` : hint ? `${id}-hint` : undefined} />
      {hint && !error && <small id={`${id}-hint`} class='hint'>{hint}</small>}
      {error && <small id={`${id}-err`} class='field-error' role='alert'>{error}</small>}
    </div>
  )
}

/** A person's picture when they have one (see `avatars.ts`), otherwise their initials. */
export function Avatar ({ id, name, size = 28, title }: { id: string, name: string, size?: number, title?: string }) {
  useEffect(() => ensureAvatars(id), [id])
  const url = avatarUrls.value.get(id)
  // A picture that fails to load (removed meanwhile) falls back to the initials.
  const [broken, setBroken] = useState<string | null>(null)
  if (url && broken !== url) {
    return <img class='avatar' src={url} alt={title ?? name} title={title ?? name} width={size} height={size} style={{ width: `${size}px`, height: `${size}px`, objectFit: 'cover' }} onError={() => setBroken(url)} />
  }
  return (
    <span class='avatar' title={title ?? name} style={{ background: userColor(id), width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.4)}px` }} aria-label={title ?? name}>
      {initials(name)}
    </span>
  )
}

export function Badge ({ count, mention }: { count: number, mention?: boolean }) {
  if (!count) return null
  return <span class={'badge' + (mention ? ' badge-mention' : '')} aria-label={mention ? plural(count, 'mention', 'mentions') : `${count} unread`}>{count > 99 ? '99+' : count}</span>
}

/** The open modals, innermost last: Escape belongs to the innermost one only. */
const openModals: object[] = []

/**
 * A modal dialog: Escape and the backdrop close it; focus moves into it and back. Modals may
 * stack (a confirmation over a history list): Escape closes only the innermost.
 */
export function Modal ({ title, onClose, children, wide, describedBy }: { title: string, onClose: () => void, children: ComponentChildren, wide?: boolean, describedBy?: string }) {
  const ref = useRef<HTMLDivElement>(null)
  // The latest onClose, so a modal kept mounted across renders never calls a stale one.
  const close = useRef(onClose)
  close.current = onClose
  useEffect(() => {
    const self = {}
    openModals.push(self)
    const before = document.activeElement as HTMLElement | null
    const el = ref.current
    const first = el?.querySelector<HTMLElement>('input, textarea, select, button:not(.modal-close), [tabindex="0"]')
    ;(first ?? el)?.focus()
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && openModals[openModals.length - 1] === self) { e.stopPropagation(); close.current() }
    }
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('keydown', onKey)
      openModals.splice(openModals.indexOf(self), 1)
      // The opener may be gone (a row deleted by the dialog's action): focus then stays where
      // the page puts it rather than on a detached element.
      if (before?.isConnected) before.focus()
    }
  }, [])
  return (
    <div class='modal-backdrop' onMouseDown={(e) => { if (e.target === e.currentTarget) onClose() }}>
      <div class={'modal' + (wide ? ' modal-wide' : '')} role='dialog' aria-modal='true' aria-label={title} aria-describedby={describedBy} ref={ref} tabIndex={-1}>
        <div class='modal-head'>
          <h2>{title}</h2>
          <button type='button' class='btn-icon modal-close' aria-label='Close' onClick={onClose}>×</button>
        </div>
        <div class='modal-body'>{children}</div>
      </div>
    </div>
  )
}

export function Toasts () {
  return (
    <>
      <div class='toasts' aria-live='polite'>
        {toasts.value.map((t) => <div key={t.id} class={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>{t.text}</div>)}
      </div>
      <AskDialog />
    </>
  )
}

/** A question the app asks in its own dialog (never the browser's confirm() or prompt()). */
interface Question {
  title: string
  message?: string
  /** The confirming button's label. */
  action?: string
  danger?: boolean
  /** A second way to go on (besides the action and Cancel): answered as `'alternative'`. */
  alternative?: string
  /** Asks for a line of text, with this label. */
  input?: { label: string, initial?: string, placeholder?: string }
  answer: (value: string | null) => void
  /** Tells questions apart, so each gets a dialog of its own. */
  id: number
}
const question = signal<Question | null>(null)
let questions = 0

function ask (q: Omit<Question, 'answer' | 'id'>): Promise<string | null> {
  // One question at a time: an earlier one still open counts as cancelled.
  question.value?.answer(null)
  const id = ++questions
  return new Promise((resolve) => {
    question.value = {
      ...q,
      id,
      answer: (v) => {
        if (question.value?.id === id) question.value = null
        resolve(v)
      }
    }
  })
}

// A question belongs to the page that asked it: moving elsewhere cancels it, so its answer
// never acts on a page (or editor) that is gone.
path.subscribe(() => { question.value?.answer(null) })

/** Asks to confirm an action in the app's dialog; true when confirmed. */
export async function confirmDialog (q: { title: string, message?: string, action?: string, danger?: boolean }): Promise<boolean> {
  return (await ask(q)) !== null
}

/** Offers two ways on in the app's dialog: `'action'`, `'alternative'`, or null when cancelled. */
export async function chooseDialog (q: { title: string, message?: string, action: string, alternative: string }): Promise<'action' | 'alternative' | null> {
  const v = await ask(q)
  return v === null ? null : v === 'alternative' ? 'alternative' : 'action'
}

/** Asks for a line of text in the app's dialog; null when cancelled. */
export function promptDialog (q: { title: string, label: string, initial?: string, placeholder?: string, action?: string }): Promise<string | null> {
  return ask({ title: q.title, action: q.action, input: { label: q.label, initial: q.initial, placeholder: q.placeholder } })
}

function AskDialog () {
  const q = question.value
  return q ? <QuestionDialog key={q.id} q={q} /> : null
}

function QuestionDialog ({ q }: { q: Question }) {
  const [value, setValue] = useState(q.input?.initial ?? '')
  const describedBy = q.message ? `ask-message-${q.id}` : undefined
  return (
    <Modal title={q.title} onClose={() => q.answer(null)} describedBy={describedBy}>
      <form class='stack' onSubmit={(e) => { e.preventDefault(); q.answer(q.input ? value : '') }}>
        {q.message && <p id={describedBy}>{q.message}</p>}
        {q.input && (
          <div class='field'>
            <label for='ask-input'>{q.input.label}</label>
            <input id='ask-input' value={value} placeholder={q.input.placeholder} onInput={(e) => setValue(e.currentTarget.value)} />
          </div>
        )}
        <div class='row-end'>
          <button type='button' class='btn' onClick={() => q.answer(null)}>Cancel</button>
          {q.alternative && <button type='button' class='btn' onClick={() => q.answer('alternative')}>{q.alternative}</button>}
          <button class={'btn ' + (q.danger ? 'btn-danger' : 'btn-primary')}>{q.action ?? 'OK'}</button>
        </div>
      </form>
    </Modal>
  )
}

/** Sets the tab title while the screen is shown. */
export function useTitle (title: string | undefined | null): void {
  useEffect(() => {
    document.title = title ? `${title} · Atrium` : 'Atrium'
    // The palette offers the places visited lately.
    if (title) recordVisit(title)
  }, [title])
}

/** Loads `fn` when `deps` change: {data, error, loading, reload, setData}. */
export function useAsync<T> (fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T, error?: unknown, loading: boolean }>({ loading: true })
  const [nonce, setNonce] = useState(0)
  useEffect(() => {
    const ctrl = new AbortController()
    setState((s) => ({ ...s, loading: true, error: undefined }))
    fn(ctrl.signal).then(
      (data) => { if (!ctrl.signal.aborted) setState({ data, loading: false }) },
      (error) => { if (!ctrl.signal.aborted && error?.name !== 'AbortError') setState((s) => ({ ...s, error, loading: false })) }
    )
    return () => ctrl.abort()
  }, [...deps, nonce])
  return {
    ...state,
    reload: () => setNonce((n) => n + 1),
    setData: (f: (d: T | undefined) => T) => setState((s) => ({ ...s, data: f(s.data) }))
  }
}

/** Form submission state: pending, error, field errors. */
export function useSubmit () {
  const [pending, setPending] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [fields, setFields] = useState<Record<string, string>>({})
  async function run<T> (fn: () => Promise<T>): Promise<T | undefined> {
    setPending(true)
    setError(null)
    setFields({})
    try {
      return await fn()
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.fields).length) setFields(e.fields)
      setError(e)
      return undefined
    } finally {
      setPending(false)
    }
  }
  return { pending, error, fields, run, setError }
}

const PRESENCE_LABEL: Record<string, string> = { online: 'online', away: 'away', offline: 'offline' }

/** A small online/away/offline dot; `name` makes its label "Ada is online". */
export function PresenceDot ({ status, name, decorative }: { status?: string, name?: string, decorative?: boolean }) {
  const s = status === 'online' || status === 'away' ? status : 'offline'
  const label = name ? `${name} is ${PRESENCE_LABEL[s]}` : PRESENCE_LABEL[s]
  if (decorative) return <span class={`presence presence-${s}`} aria-hidden='true' title={label} data-presence={s} />
  return <span class={`presence presence-${s}`} role='img' aria-label={label} title={label} data-presence={s} />
}

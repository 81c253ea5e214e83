// The app events socket (WS /api/v1/events): one per signed-in tab. Persisted events carry an
// increasing id; the last one seen is passed as `last_event_id` on every reconnect so nothing
// is missed, and a `resync` frame tells subscribers to refetch. Reconnects with back-off
// (immediately after close code 4508 "too slow"), pings on the server's heartbeat and treats a
// silent socket as dead. After 4401 (the session was revoked: logged out elsewhere, password
// reset) it stops and emits a local `session.ended` frame instead of retrying.

import type { components } from './api-types'

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped'
/** A frame from the server: one of the documented events (`AppEvent`), with its id if kept. */
export type ServerFrame = components['schemas']['EventFrame']
/** Frames this client emits itself: its connection state, and the end of a revoked session. */
export type LocalFrame = { type: 'socket.status', data: { status: SocketStatus } } | { type: 'session.ended' }
export type EventFrame = ServerFrame | LocalFrame
export type EventType = EventFrame['type']
/** The frame of one type, its `data` typed. */
export type FrameOf<T extends EventType> = Extract<EventFrame, { type: T }>
export type Listener<T extends EventType = EventType> = (frame: FrameOf<T>) => void
/** What a client may send: `ping`, `typing`, `presence`. */
export type ClientFrame = components['schemas']['ClientFrame']

/** Close codes the server uses. */
export const CLOSE_TOO_SLOW = 4508
export const CLOSE_RESTARTING = 4503
export const CLOSE_SESSION_ENDED = 4401

export interface EventsOptions {
  /** URL of the socket for `lastEventId` (0 when none seen yet). */
  url: (lastEventId: number) => string
  WebSocketImpl?: typeof WebSocket
  onStatus?: (status: SocketStatus) => void
  /** Back-off bounds in ms. */
  minDelay?: number
  maxDelay?: number
  random?: () => number
  setTimer?: (fn: () => void, ms: number) => any
  clearTimer?: (t: any) => void
}

export function backoff (attempt: number, min: number, max: number, random: () => number): number {
  const base = Math.min(max, min * 2 ** Math.max(0, attempt))
  // Full jitter in the upper half, so many tabs do not come back at the same instant.
  return Math.round(base / 2 + random() * base / 2)
}

export class EventsSocket {
  lastEventId = 0
  status: SocketStatus = 'stopped'
  private ws: WebSocket | null = null
  private listeners = new Map<string, Set<(frame: EventFrame) => void>>()
  private attempt = 0
  private retryTimer: any = null
  private heartbeatTimer: any = null
  private lastFrameAt = 0
  private heartbeatMs = 30_000
  private opts: Required<Omit<EventsOptions, 'onStatus'>> & Pick<EventsOptions, 'onStatus'>

  constructor (opts: EventsOptions) {
    this.opts = {
      WebSocketImpl: opts.WebSocketImpl ?? WebSocket,
      minDelay: opts.minDelay ?? 500,
      maxDelay: opts.maxDelay ?? 15_000,
      random: opts.random ?? Math.random,
      setTimer: opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimer: opts.clearTimer ?? ((t) => clearTimeout(t)),
      url: opts.url,
      onStatus: opts.onStatus
    }
  }

  /** Subscribe to one event type, or '*' for all; returns the unsubscribe function. */
  on<T extends EventType> (type: T, fn: Listener<T>): () => void
  on (type: '*', fn: Listener): () => void
  on (type: string, fn: (frame: any) => void): () => void {
    let set = this.listeners.get(type)
    if (!set) { set = new Set(); this.listeners.set(type, set) }
    set.add(fn)
    return () => { set!.delete(fn) }
  }

  private emit (frame: EventFrame): void {
    for (const key of [frame.type, '*']) {
      const set = this.listeners.get(key)
      if (!set) continue
      for (const fn of [...set]) {
        try { fn(frame) } catch (e) { console.warn('event listener failed', e) }
      }
    }
  }

  private setStatus (status: SocketStatus): void {
    if (this.status === status) return
    this.status = status
    this.opts.onStatus?.(status)
    this.emit({ type: 'socket.status', data: { status } })
  }

  start (): void {
    if (this.status !== 'stopped') return
    this.setStatus('connecting')
    this.open()
  }

  stop (): void {
    this.setStatus('stopped')
    this.opts.clearTimer(this.retryTimer)
    this.opts.clearTimer(this.heartbeatTimer)
    this.retryTimer = null
    const ws = this.ws
    this.ws = null
    if (ws) {
      ws.onclose = null
      try { ws.close(1000) } catch {}
    }
  }

  /** Reconnect now (e.g. the browser came back online). */
  reconnectNow (): void {
    if (this.status === 'stopped') return
    if (this.status === 'open') return
    this.opts.clearTimer(this.retryTimer)
    this.retryTimer = null
    this.attempt = 0
    this.open()
  }

  send (frame: ClientFrame): boolean {
    if (this.ws && this.status === 'open') {
      try { this.ws.send(JSON.stringify(frame)); return true } catch { return false }
    }
    return false
  }

  private open (): void {
    let ws: WebSocket
    try {
      ws = new this.opts.WebSocketImpl(this.opts.url(this.lastEventId))
    } catch {
      this.scheduleReconnect(false)
      return
    }
    this.ws = ws
    ws.onopen = () => {
      if (this.ws !== ws) return
      this.lastFrameAt = Date.now()
      this.setStatus('open')
    }
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws) return
      this.lastFrameAt = Date.now()
      // The server's frames are typed by its OpenAPI document; a frame that is not even
      // `{type}` is dropped. Listeners trust the documented shape of their type's `data`.
      let frame: ServerFrame
      try { frame = JSON.parse(String(ev.data)) } catch { return }
      if (!frame || typeof frame.type !== 'string') return
      if (typeof frame.id === 'number' && frame.id > this.lastEventId) this.lastEventId = frame.id
      if (frame.type === 'hello') {
        this.attempt = 0
        const hb = Number(frame.data?.heartbeat_ms)
        if (hb > 0) this.heartbeatMs = hb
        if (typeof frame.data?.last_event_id === 'number' && this.lastEventId === 0) this.lastEventId = frame.data.last_event_id
        this.armHeartbeat()
      }
      this.emit(frame)
    }
    ws.onerror = () => {}
    ws.onclose = (ev: CloseEvent) => this.closed(ws, ev.code)
  }

  private closed (ws: WebSocket, code: number): void {
    if (this.ws !== ws) return
    this.ws = null
    this.opts.clearTimer(this.heartbeatTimer)
    if (this.status === 'stopped') return
    if (code === CLOSE_SESSION_ENDED) {
      // Retrying cannot help: the credential is gone. Whoever listens signs the tab out.
      this.setStatus('stopped')
      this.emit({ type: 'session.ended' })
      return
    }
    this.scheduleReconnect(code === CLOSE_TOO_SLOW)
  }

  private armHeartbeat (): void {
    this.opts.clearTimer(this.heartbeatTimer)
    this.heartbeatTimer = this.opts.setTimer(() => {
      const ws = this.ws
      if (!ws) return
      if (Date.now() - this.lastFrameAt > this.heartbeatMs * 2 + 5_000) {
        // Silent for too long: the connection is dead even if the browser has not noticed.
        ws.onclose = null
        try { ws.close(4000, 'heartbeat timeout') } catch {}
        this.closed(ws, 4000)
        return
      }
      this.send({ type: 'ping' })
      this.armHeartbeat()
    }, this.heartbeatMs)
  }

  private scheduleReconnect (immediate: boolean): void {
    this.setStatus('reconnecting')
    const delay = immediate ? 0 : backoff(this.attempt, this.opts.minDelay, this.opts.maxDelay, this.opts.random)
    this.attempt++
    this.opts.clearTimer(this.retryTimer)
    this.retryTimer = this.opts.setTimer(() => {
      this.retryTimer = null
      if (this.status !== 'stopped') this.open()
    }, delay)
  }
}

import { describe, it, expect, beforeEach } from 'vitest'
import { EventsSocket, backoff, CLOSE_TOO_SLOW, CLOSE_SESSION_ENDED } from './events'

class FakeSocket {
  static all: FakeSocket[] = []
  url: string
  sent: string[] = []
  closed = false
  onopen: (() => void) | null = null
  onmessage: ((ev: { data: string }) => void) | null = null
  onclose: ((ev: { code: number }) => void) | null = null
  onerror: (() => void) | null = null
  constructor (url: string) { this.url = url; FakeSocket.all.push(this) }
  send (s: string) { this.sent.push(s) }
  close () { this.closed = true }
  open () { this.onopen?.() }
  frame (f: unknown) { this.onmessage?.({ data: JSON.stringify(f) }) }
  drop (code = 1006) { this.onclose?.({ code }) }
}

function harness () {
  const timers: { fn: () => void, ms: number }[] = []
  const statuses: string[] = []
  const sock = new EventsSocket({
    url: (last) => `ws://x/api/v1/events${last ? `?last_event_id=${last}` : ''}`,
    WebSocketImpl: FakeSocket as any,
    onStatus: (s) => statuses.push(s),
    random: () => 0.5,
    setTimer: (fn, ms) => { const t = { fn, ms }; timers.push(t); return t },
    clearTimer: (t) => { const i = timers.indexOf(t); if (i >= 0) timers.splice(i, 1) }
  })
  const fire = (pred: (t: { ms: number }) => boolean = () => true) => {
    const t = timers.find(pred)
    if (!t) throw new Error('no timer')
    timers.splice(timers.indexOf(t), 1)
    t.fn()
    return t
  }
  return { sock, timers, statuses, fire }
}

beforeEach(() => { FakeSocket.all = [] })

describe('EventsSocket', () => {
  it('dispatches frames by type and to wildcard listeners, and tracks the last id', () => {
    const { sock } = harness()
    const got: string[] = []
    sock.on('message.created', (f) => got.push(`m:${f.data.id}`))
    sock.on('*', (f) => got.push(`*:${f.type}`))
    sock.start()
    const ws = FakeSocket.all[0]
    ws.open()
    ws.frame({ type: 'hello', data: { user_id: 'u', last_event_id: 0, heartbeat_ms: 20000 } })
    ws.frame({ id: 7, type: 'message.created', data: { id: 'a' } })
    ws.frame({ type: 'typing', data: {} })
    expect(got.filter((x) => x !== '*:socket.status')).toEqual(['*:hello', 'm:a', '*:message.created', '*:typing'])
    expect(sock.lastEventId).toBe(7)
  })

  it('reconnects with back-off and resumes from the last event id', () => {
    const { sock, fire, statuses } = harness()
    sock.start()
    FakeSocket.all[0].open()
    FakeSocket.all[0].frame({ id: 41, type: 'notification.created', data: {} })
    FakeSocket.all[0].drop()
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting'])
    const t = fire()
    expect(t.ms).toBeGreaterThan(0)
    expect(FakeSocket.all[1].url).toContain('last_event_id=41')
    // Repeated failures back off further.
    FakeSocket.all[1].drop()
    const t2 = fire()
    expect(t2.ms).toBeGreaterThan(t.ms)
  })

  it('comes back at once after "too slow" (4508)', () => {
    const { sock, fire } = harness()
    sock.start()
    FakeSocket.all[0].open()
    FakeSocket.all[0].drop(CLOSE_TOO_SLOW)
    expect(fire().ms).toBe(0)
    expect(FakeSocket.all).toHaveLength(2)
  })

  it('pings on the heartbeat and sends client frames only while open', () => {
    const { sock, fire } = harness()
    expect(sock.send({ type: 'typing', channel: 'c' })).toBe(false)
    sock.start()
    const ws = FakeSocket.all[0]
    ws.open()
    ws.frame({ type: 'hello', data: { heartbeat_ms: 1000 } })
    expect(sock.send({ type: 'typing', channel: 'c' })).toBe(true)
    fire((t) => t.ms === 1000)
    expect(ws.sent.map((s) => JSON.parse(s).type)).toEqual(['typing', 'ping'])
  })

  it('stops and says so when the session ended (4401)', () => {
    const { sock, timers } = harness()
    const seen: string[] = []
    sock.on('session.ended', (f) => seen.push(f.type))
    sock.start()
    FakeSocket.all[0].open()
    FakeSocket.all[0].drop(CLOSE_SESSION_ENDED)
    expect(seen).toEqual(['session.ended'])
    expect(sock.status).toBe('stopped')
    expect(timers).toHaveLength(0)
    expect(FakeSocket.all).toHaveLength(1)
  })

  it('stops for good', () => {
    const { sock, timers } = harness()
    sock.start()
    FakeSocket.all[0].open()
    sock.stop()
    expect(FakeSocket.all[0].closed).toBe(true)
    expect(timers).toHaveLength(0)
    expect(sock.status).toBe('stopped')
  })
})

describe('backoff', () => {
  it('grows and is capped', () => {
    const r = () => 1
    expect(backoff(0, 500, 15000, r)).toBe(500)
    expect(backoff(3, 500, 15000, r)).toBe(4000)
    expect(backoff(20, 500, 15000, r)).toBe(15000)
    expect(backoff(0, 500, 15000, () => 0)).toBe(250)
  })
})

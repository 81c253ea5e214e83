// Test harness: a real `atrium serve` per test on a fresh database, API helpers, stock
// y-websocket providers, and bounded waiting. Mirrors tests/src/server.rs and database.rs.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

import pg from 'pg'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import * as decoding from 'lib0/decoding'

export { Y, WebSocket, WebsocketProvider }

const here = path.dirname(fileURLToPath(import.meta.url))

/** The `atrium` binary under test: ATRIUM_BIN, or target/debug/atrium of this repository. */
export const ATRIUM_BIN = process.env.ATRIUM_BIN || path.resolve(here, '../../../target/debug/atrium')

/** How long a server may take to migrate and start listening (a healthy start: < 1 s). */
const START_DEADLINE_MS = 60_000

/** Every test runs on both. */
export const BACKENDS = ['sqlite', 'postgres']

// Each provider registers a process 'exit' listener; ten clients in a test is normal here.
process.setMaxListeners(200)

export const rand = (n = 6) => randomBytes(n).toString('hex')
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `cond` (sync or async) until it returns a truthy value, at most `timeout` ms, and
 * returns that value. On timeout throws with `what` and, if given, `detail()`.
 */
export async function waitFor (cond, { timeout = 10_000, interval = 10, what = 'condition', detail } = {}) {
  const deadline = Date.now() + timeout
  let lastError
  for (;;) {
    try {
      const v = await cond()
      if (v) return v
    } catch (e) {
      lastError = e
    }
    if (Date.now() >= deadline) {
      let msg = `timed out after ${timeout} ms waiting for ${what}`
      if (detail) {
        try { msg += `\n${detail()}` } catch (e) { msg += `\n(detail failed: ${e})` }
      }
      if (lastError) msg += `\nlast error: ${lastError.stack || lastError}`
      throw new Error(msg)
    }
    await sleep(interval)
  }
}

// ---------------------------------------------------------------------------------------------
// Databases

/** `postgres://u@h:p/postgres?x` with the database part replaced by `name`. */
export function replaceDatabase (url, name) {
  const u = new URL(url)
  u.pathname = '/' + name
  return u.toString()
}

/** A database that exists for one test: a SQLite file, or a PostgreSQL database dropped after. */
export class TestDatabase {
  static async create (backend, dir) {
    const db = new TestDatabase()
    db.backend = backend
    if (backend === 'sqlite') {
      db.url = `sqlite://${path.join(dir, 'atrium.db')}?mode=rwc`
      return db
    }
    const admin = process.env.ATRIUM_TEST_PG_URL
    if (!admin) {
      throw new Error('ATRIUM_TEST_PG_URL is not set: the [postgres] variant of every test needs a PostgreSQL ' +
        'server (scripts/test starts one and exports postgres://postgres@127.0.0.1:PORT/postgres)')
    }
    const name = `atrium_node_${Date.now().toString(36)}_${rand(5)}`
    const client = new pg.Client({ connectionString: admin })
    try {
      await client.connect()
      await client.query(`create database ${name}`)
    } catch (e) {
      throw new Error(`cannot create a test database on ATRIUM_TEST_PG_URL=${admin}: ${e.message}`)
    } finally {
      await client.end().catch(() => {})
    }
    db.admin = admin
    db.name = name
    db.url = replaceDatabase(admin, name)
    return db
  }

  async drop () {
    if (!this.name) return
    const client = new pg.Client({ connectionString: this.admin })
    try {
      await client.connect()
      await client.query(`drop database if exists ${this.name} with (force)`)
    } catch (e) {
      console.error(`warning: could not drop test database ${this.name}: ${e.message}`)
    } finally {
      await client.end().catch(() => {})
    }
    this.name = undefined
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

/** The tokens of the `{linkPath}?token=…` links in the .eml files of `dir` addressed to `to`, oldest first. */
export function mailedTokens (dir, to, linkPath) {
  if (!fs.existsSync(dir)) return []
  const tokens = []
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()) {
    // Undo quoted-printable soft breaks and '=' escapes.
    const raw = fs.readFileSync(path.join(dir, f), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=')
    if (!raw.includes(`To: ${to}`) && !raw.includes(`<${to}>`)) continue
    const m = new RegExp(`${linkPath.replace(/[/]/g, '\\/')}\\?token=([A-Za-z0-9_-]+)`).exec(raw)
    if (m) tokens.push(m[1])
  }
  return tokens
}

/** One real `atrium serve` with its own data directory and database. */
export class TestServer {
  constructor ({ dir, database, env }) {
    this.dir = dir
    this.database = database
    this.extraEnv = env || {}
    this.child = null
    this.url = ''
  }

  static async start (backend, { env } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-node-'))
    const database = await TestDatabase.create(backend, dir)
    const server = new TestServer({ dir, database, env })
    await server.spawn()
    return server
  }

  get logPath () { return path.join(this.dir, 'server.log') }
  get dataDir () { return path.join(this.dir, 'data') }
  /** Base for WebsocketProvider: ws://127.0.0.1:PORT/collab */
  get collabUrl () { return this.url.replace(/^http/, 'ws') + '/collab' }
  get pid () { return this.child?.pid }

  log () {
    try { return fs.readFileSync(this.logPath, 'utf8') } catch { return '' }
  }

  env () {
    return {
      PATH: process.env.PATH || '/usr/bin:/bin',
      ATRIUM_DATA_DIR: this.dataDir,
      ATRIUM_DATABASE_URL: this.database.url,
      ATRIUM_WEB_DIR: path.join(this.dir, 'web'),
      ATRIUM_LOG: 'info,sqlx=warn',
      // Tests log in far more often than people do.
      ATRIUM_AUTH_RATE_PER_MINUTE: '10000',
      ...this.extraEnv
    }
  }

  async spawn () {
    if (!fs.existsSync(ATRIUM_BIN)) {
      throw new Error(`${ATRIUM_BIN} does not exist: build it first (cargo build -p atrium-server --bin atrium) or set ATRIUM_BIN`)
    }
    const logFd = fs.openSync(this.logPath, 'a')
    fs.writeSync(logFd, `---- atrium serve started by the node harness at ${new Date().toISOString()} ----\n`)
    const child = spawn(ATRIUM_BIN, ['serve', '--listen', '127.0.0.1:0'], {
      env: this.env(),
      stdio: ['ignore', 'pipe', logFd]
    })
    fs.closeSync(logFd)
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    child.exited = exited
    child.once('error', () => {})
    this.child = child
    const lines = readline.createInterface({ input: child.stdout })
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`atrium did not listen within ${START_DEADLINE_MS} ms; its log:\n${this.log()}`)), START_DEADLINE_MS)
      lines.on('line', (line) => {
        const m = /^atrium listening on (\S+)/.exec(line)
        if (m) { clearTimeout(timer); resolve(m[1].trim()) }
      })
      exited.then(({ code, signal }) => {
        clearTimeout(timer)
        reject(new Error(`atrium exited before listening (code ${code}, signal ${signal}); its log:\n${this.log()}`))
      })
      child.once('error', (e) => { clearTimeout(timer); reject(e) })
    })
    // Keep draining standard output (readline does) so the server never blocks on a full pipe.
    this.url = url.replace(/\/+$/, '')
  }

  /** SIGKILL, as a crash would; resolves when the process is gone. */
  async kill () {
    const child = this.child
    if (!child) return
    this.child = null
    if (child.exitCode === null && child.signalCode === null) {
      try { child.kill('SIGKILL') } catch {}
    }
    await child.exited
  }

  /** Synchronous SIGKILL (for use inside an event handler at an exact moment). */
  killNow () {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL')
    }
  }

  /** Starts again on the same data directory and database; the port changes. */
  async restart () {
    await this.kill()
    await this.spawn()
  }

  async destroy ({ keep = false } = {}) {
    await this.kill()
    await this.database.drop()
    if (!keep) fs.rmSync(this.dir, { recursive: true, force: true })
  }

  // --- HTTP -----------------------------------------------------------------------------------

  /**
   * A request; returns {status, headers, json, text, bytes}. `json` sends a JSON body, `body` a
   * raw one (Uint8Array → application/octet-stream).
   */
  async request (method, urlPath, { token, json, body, headers = {} } = {}) {
    const h = { ...headers }
    if (token) h.authorization = `Bearer ${token}`
    let payload
    if (json !== undefined) {
      h['content-type'] = 'application/json'
      payload = JSON.stringify(json)
    } else if (body !== undefined) {
      h['content-type'] ??= 'application/octet-stream'
      payload = body
    }
    const res = await fetch(this.url + urlPath, { method, headers: h, body: payload })
    const bytes = new Uint8Array(await res.arrayBuffer())
    const text = new TextDecoder().decode(bytes)
    let parsed
    if ((res.headers.get('content-type') || '').includes('json')) {
      try { parsed = JSON.parse(text) } catch {}
    }
    return { status: res.status, headers: res.headers, json: parsed, text, bytes }
  }

  /** Like request, but throws unless the status is `expect`. */
  async call (method, urlPath, opts = {}, expect = 200) {
    const res = await this.request(method, urlPath, opts)
    const ok = Array.isArray(expect) ? expect.includes(res.status) : res.status === expect
    if (!ok) {
      throw new Error(`${method} ${urlPath}: expected ${expect}, got ${res.status}: ${res.text.slice(0, 500)}`)
    }
    return res
  }

  /**
   * The token of the newest `{linkPath}?token=…` link mailed to `to` that is not in `seen`,
   * read from the server's .eml outbox; waits up to 20 s for it.
   */
  async mailedToken (to, linkPath, seen = []) {
    const outbox = path.join(this.dataDir, 'outbox')
    const deadline = Date.now() + 20_000
    for (;;) {
      const found = mailedTokens(outbox, to, linkPath).reverse().find((t) => !seen.includes(t))
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no ${linkPath} link to ${to} in ${outbox}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /**
   * A signed-up, logged-in user whose address is verified (with the link from the sign-up
   * e-mail): {id, email, password, token, user}.
   */
  async user (label = 'user') {
    const email = `${label}-${rand(5)}@example.com`
    const password = `Quiet-harbour-${rand(4)}-lantern`
    const name = `${label[0].toUpperCase()}${label.slice(1)} Tester`
    const signup = await this.call('POST', '/api/v1/auth/signup', { json: { email, password, name } }, 201)
    const login = await this.call('POST', '/api/v1/auth/login', { json: { email, password } }, 200)
    const token = await this.mailedToken(email, '/verify-email')
    await this.call('POST', '/api/v1/auth/verify-email', { token: login.json.token, json: { token } }, 200)
    const user = login.json.user || signup.json.user
    return { id: user.id, email, password, token: login.json.token, user }
  }

  /** Adds `user` to `org` the real way: `owner` invites their address, they accept the e-mailed invitation. */
  async join (owner, org, user, role = 'member') {
    const seen = mailedTokens(path.join(this.dataDir, 'outbox'), user.email, '/invitations')
    await this.call('POST', `/api/v1/orgs/${org}/members`, { token: owner.token, json: { email: user.email, role } }, 202)
    const token = await this.mailedToken(user.email, '/invitations', seen)
    await this.call('POST', '/api/v1/invitations/accept', { token: user.token, json: { token } }, 200)
  }

  /**
   * An owner with an org, a project and a document, plus `members`: {label: projectRole} for
   * users added to the org as members and given that project role (e.g. {bob: 'editor',
   * vic: 'viewer'}). Returns {owner, org, project, doc, users: {label: user}}.
   */
  async world ({ members = {}, title = 'Shared notes' } = {}) {
    const owner = await this.user('owner')
    const org = (await this.call('POST', '/api/v1/orgs', { token: owner.token, json: { name: `Org ${rand(3)}` } }, 201)).json.id
    const project = (await this.call('POST', `/api/v1/orgs/${org}/projects`, { token: owner.token, json: { name: `Project ${rand(3)}` } }, 201)).json.id
    const doc = (await this.call('POST', `/api/v1/projects/${project}/docs`, { token: owner.token, json: { title } }, 201)).json
    const users = { owner }
    for (const [label, role] of Object.entries(members)) {
      const u = await this.user(label)
      await this.join(owner, org, u)
      await this.call('POST', `/api/v1/projects/${project}/members`, { token: owner.token, json: { user_id: u.id, role } }, [200, 201, 204])
      users[label] = u
    }
    return { owner, org, project, doc, docId: doc.id, users }
  }

  /** GET /api/v1/docs/{doc}/content?format=… as a string (throws unless 200). */
  async content (docId, token, format = 'text') {
    return (await this.call('GET', `/api/v1/docs/${docId}/content?format=${format}`, { token })).text
  }

  /** GET /api/v1/docs/{doc}/update applied to a fresh Y.Doc. */
  async fetchDoc (docId, token) {
    const res = await this.call('GET', `/api/v1/docs/${docId}/update`, { token })
    const doc = new Y.Doc()
    Y.applyUpdate(doc, res.bytes)
    return doc
  }
}

// ---------------------------------------------------------------------------------------------
// Stock clients

/**
 * What the server has sent back of each client's own document state: y-websocket 3 never
 * exposes the durable echo (its `synced` flag turns true once, on the first SyncStep2, and stays
 * true), so the provider's sync handler is wrapped (the provider keeps a per-instance copy of
 * its handler table for exactly this) to record, per Yjs client id, the highest clock seen in
 * any SyncStep2 or Update from the server. `provider.acked.get(doc.clientID)` is then "the
 * server has told me it holds my edits up to here" — what y-websocket 4's sync-status reads.
 */
function trackAcks (provider) {
  provider.acked = new Map()
  provider.ackListeners = new Set()
  provider.framesIn = 0
  const original = provider.messageHandlers[0]
  provider.messageHandlers[0] = (encoder, decoder, p, emitSynced, messageType) => {
    provider.framesIn++
    try {
      const peek = decoding.clone(decoder)
      const syncType = decoding.readVarUint(peek)
      if (syncType === 1 || syncType === 2) {
        const { to } = Y.parseUpdateMeta(decoding.readVarUint8Array(peek))
        for (const [client, clock] of to) {
          if (clock > (provider.acked.get(client) ?? 0)) provider.acked.set(client, clock)
        }
      }
    } catch {}
    original(encoder, decoder, p, emitSynced, messageType)
    for (const listener of provider.ackListeners) listener(provider)
  }
}

/** The next clock of this doc's own client: every edit so far is below it. */
export const ownClock = (doc) => Y.getState(doc.store, doc.clientID)
/** Own clock the server has echoed back to `provider`. */
export const ackedClock = (provider) => provider.acked.get(provider.doc.clientID) ?? 0
export const isAcked = (provider, clock = ownClock(provider.doc)) => ackedClock(provider) >= clock

/** A short description of a set of providers for failure messages. */
export function describe (providers) {
  return providers.map((p, i) => `  #${i} client ${p.doc.clientID} connected=${p.wsconnected} synced=${p.synced} ` +
    `own=${ownClock(p.doc)} acked=${ackedClock(p)} text=${JSON.stringify(p.doc.getText('text').toString().slice(0, 160))}`).join('\n')
}

/** Text of each paragraph of the 'default' XmlFragment (no marks used in these tests). */
export function paragraphs (doc) {
  return doc.getXmlFragment('default').toArray().map((el) =>
    el instanceof Y.XmlElement ? el.toArray().map((t) => t.toString()).join('') : el.toString())
}

/** What the server's content?format=text should render for `doc` (paragraphs, then the text). */
export function expectedText (doc) {
  const lines = paragraphs(doc)
  const text = doc.getText('text').toString()
  if (text) lines.push(text)
  return lines.join('\n').replace(/\n+$/, '')
}

/** Appends a paragraph with `text` to the 'default' fragment. */
export function addParagraph (doc, text) {
  const p = new Y.XmlElement('paragraph')
  p.insert(0, [new Y.XmlText(text)])
  doc.getXmlFragment('default').push([p])
}

/** Same state vector and same content on every doc. */
export function converged (docs) {
  const first = docs[0]
  const sv = Buffer.from(Y.encodeStateVector(first)).toString('hex')
  const text = first.getText('text').toString()
  const xml = first.getXmlFragment('default').toString()
  return docs.every((d) => Buffer.from(Y.encodeStateVector(d)).toString('hex') === sv &&
    d.getText('text').toString() === text && d.getXmlFragment('default').toString() === xml)
}

/**
 * Decodes one WebSocket frame of the y-websocket protocol (several messages may be in one
 * frame) into [{type:'sync', sub, payload} | {type:'awareness', payload} |
 * {type:'auth', denied, reason} | {type:'query-awareness'}].
 */
export function decodeFrame (bytes) {
  const d = decoding.createDecoder(new Uint8Array(bytes))
  const out = []
  while (decoding.hasContent(d)) {
    const type = decoding.readVarUint(d)
    if (type === 0) {
      const sub = decoding.readVarUint(d)
      out.push({ type: 'sync', sub, payload: decoding.readVarUint8Array(d) })
    } else if (type === 1) {
      out.push({ type: 'awareness', payload: decoding.readVarUint8Array(d) })
    } else if (type === 2) {
      const authType = decoding.readVarUint(d)
      out.push({ type: 'auth', denied: authType === 0, reason: authType === 0 ? decoding.readVarString(d) : undefined })
    } else if (type === 3) {
      out.push({ type: 'query-awareness' })
    } else {
      out.push({ type: `unknown(${type})` })
      break
    }
  }
  return out
}

/**
 * A raw `ws` connection to /collab/{doc} that records every frame and the close. Returns
 * {ws, frames, messages, closed: Promise<{code, reason}>, opened: Promise, unexpected: Promise}.
 */
export function rawSocket (server, docId, token) {
  const url = `${server.collabUrl}/${encodeURIComponent(docId)}` + (token !== undefined ? `?token=${encodeURIComponent(token)}` : '')
  const ws = new WebSocket(url)
  ws.binaryType = 'nodebuffer'
  const frames = []
  const messages = []
  ws.on('message', (data) => {
    frames.push(data)
    try { messages.push(...decodeFrame(data)) } catch (e) { messages.push({ type: 'undecodable', error: String(e) }) }
  })
  ws.on('error', () => {})
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const unexpected = new Promise((resolve) => ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode })))
  return { ws, url, frames, messages, closed, unexpected }
}

// ---------------------------------------------------------------------------------------------
// The per-test context and the test definer

class Context {
  constructor (backend, t) {
    this.backend = backend
    this.t = t
    this.servers = []
    this.providers = []
    this.sockets = []
  }

  /** A server on this test's backend (fresh database); stopped and dropped after the test. */
  async server (opts) {
    const s = await TestServer.start(this.backend, opts)
    this.servers.push(s)
    return s
  }

  /**
   * A stock WebsocketProvider on `server` for `docId` with `token` (`doc`: reuse a Y.Doc).
   * Destroyed after the test.
   */
  provider (server, docId, token, { doc = new Y.Doc(), connect = true, ...rest } = {}) {
    const params = token !== undefined ? { token } : {}
    const provider = new WebsocketProvider(server.collabUrl, docId, doc, {
      params,
      WebSocketPolyfill: WebSocket,
      disableBc: true,
      connect: false,
      ...rest
    })
    trackAcks(provider)
    provider.closeEvents = []
    provider.on('connection-close', (event) => {
      if (event) provider.closeEvents.push({ code: event.code, reason: event.reason })
    })
    this.providers.push(provider)
    if (connect) provider.connect()
    return provider
  }

  /** Several providers, each synced. */
  async synced (providers, timeout = 15_000) {
    await waitFor(() => providers.every((p) => p.synced), { timeout, what: 'every provider to sync', detail: () => describe(providers) })
  }

  /** Waits until every provider's own edits have been echoed back by the server (durable). */
  async acked (providers, timeout = 15_000) {
    const targets = providers.map((p) => ownClock(p.doc))
    await waitFor(() => providers.every((p, i) => isAcked(p, targets[i])), { timeout, what: 'the server to echo every client\'s own edits', detail: () => describe(providers) })
  }

  /** Waits until all docs have the same state and content. */
  async converge (providers, timeout = 20_000) {
    await waitFor(() => converged(providers.map((p) => p.doc)), { timeout, what: 'convergence', detail: () => describe(providers) })
  }

  rawSocket (server, docId, token) {
    const s = rawSocket(server, docId, token)
    this.sockets.push(s)
    return s
  }

  async cleanup (failed) {
    for (const p of this.providers) {
      try { p.destroy() } catch {}
      // The provider does not stop its Awareness' 3 s check interval (it would keep this test
      // file's process alive); destroying the awareness does.
      try { p.awareness.destroy() } catch {}
    }
    for (const s of this.sockets) {
      try { s.ws.terminate() } catch {}
    }
    for (const s of this.servers) {
      if (failed) {
        const log = s.log().split('\n')
        console.error(`---- atrium server log (${s.logPath}, last 120 lines) ----\n${log.slice(-120).join('\n')}`)
      }
      await s.destroy()
    }
  }
}

/**
 * Defines `name [sqlite]` and `name [postgres]`. `fn(ctx)` gets a Context; everything it
 * started is stopped afterwards, and the server log is printed when it fails. `timeout` bounds
 * the test body (cleanup included).
 */
export function backendTest (name, fn, { timeout = 45_000 } = {}) {
  for (const backend of BACKENDS) {
    test(`${name} [${backend}]`, { timeout: timeout + 15_000 }, async (t) => {
      const ctx = new Context(backend, t)
      let failed = false
      let timer
      try {
        await Promise.race([
          fn(ctx),
          new Promise((_resolve, reject) => {
            timer = setTimeout(() => reject(new Error(`test body did not finish within ${timeout} ms`)), timeout)
          })
        ])
      } catch (e) {
        failed = true
        throw e
      } finally {
        clearTimeout(timer)
        await ctx.cleanup(failed)
      }
    })
  }
}

export { once }

// Test harness for the browser tests: a real `atrium serve` per test (fresh SQLite file or a
// fresh PostgreSQL database), serving the built app, plus API helpers to set up a world.
// Mirrors tests/node/test/harness.js.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

const here = path.dirname(fileURLToPath(import.meta.url))
export const ATRIUM_BIN = process.env.ATRIUM_BIN || path.resolve(here, '../../../target/debug/atrium')
export const WEB_DIR = process.env.ATRIUM_WEB_DIR || path.resolve(here, '../dist')
const START_DEADLINE_MS = 60_000

export const rand = (n = 5) => randomBytes(n).toString('hex')

export interface TestUser { id: string, email: string, password: string, token: string, name: string, handle: string }

/** The tokens of the `{linkPath}?token=…` links in the .eml files of `dir` addressed to `to`, oldest first. */
export function mailedTokens (dir: string, to: string, linkPath: string): string[] {
  if (!fs.existsSync(dir)) return []
  const tokens: string[] = []
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()) {
    // Undo quoted-printable soft breaks and '=' escapes.
    const raw = fs.readFileSync(path.join(dir, f), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=')
    if (!raw.includes(`To: ${to}`) && !raw.includes(`<${to}>`)) continue
    const m = new RegExp(`${linkPath.replace(/[/]/g, '\\/')}\\?token=([A-Za-z0-9_-]+)`).exec(raw)
    if (m) tokens.push(m[1])
  }
  return tokens
}

class TestDatabase {
  url = ''
  private admin?: string
  private name?: string

  static async create (backend: string, dir: string): Promise<TestDatabase> {
    const db = new TestDatabase()
    if (backend === 'sqlite') {
      db.url = `sqlite://${path.join(dir, 'atrium.db')}?mode=rwc`
      return db
    }
    const admin = process.env.ATRIUM_TEST_PG_URL
    if (!admin) throw new Error('ATRIUM_TEST_PG_URL is not set: the postgres project needs a PostgreSQL server')
    const name = `atrium_web_${Date.now().toString(36)}_${rand(4)}`
    const client = new pg.Client({ connectionString: admin })
    try {
      await client.connect()
      await client.query(`create database ${name}`)
    } finally {
      await client.end().catch(() => {})
    }
    db.admin = admin
    db.name = name
    const u = new URL(admin)
    u.pathname = '/' + name
    db.url = u.toString()
    return db
  }

  async drop (): Promise<void> {
    if (!this.name || !this.admin) return
    const client = new pg.Client({ connectionString: this.admin })
    try {
      await client.connect()
      await client.query(`drop database if exists ${this.name} with (force)`)
    } catch (e) {
      console.error(`warning: could not drop ${this.name}: ${(e as Error).message}`)
    } finally {
      await client.end().catch(() => {})
    }
    this.name = undefined
  }
}

export class TestServer {
  url = ''
  private child: ChildProcess | null = null

  private constructor (readonly dir: string, private readonly database: TestDatabase) {}

  /** A fresh server on `backend`; `env` adds settings (e.g. shorter intervals for a spec). */
  static async start (backend: string, env: Record<string, string> = {}): Promise<TestServer> {
    if (!fs.existsSync(path.join(WEB_DIR, 'index.html'))) throw new Error(`${WEB_DIR}/index.html is missing: run 'npm run build' first`)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atrium-web-'))
    const database = await TestDatabase.create(backend, dir)
    const server = new TestServer(dir, database)
    await server.spawn(env)
    return server
  }

  get logPath (): string { return path.join(this.dir, 'server.log') }
  log (): string { try { return fs.readFileSync(this.logPath, 'utf8') } catch { return '' } }

  private async spawn (env: Record<string, string>): Promise<void> {
    if (!fs.existsSync(ATRIUM_BIN)) throw new Error(`${ATRIUM_BIN} does not exist: build it (cargo build) or set ATRIUM_BIN`)
    const logFd = fs.openSync(this.logPath, 'a')
    const child = spawn(ATRIUM_BIN, ['serve', '--listen', '127.0.0.1:0', '--web-dir', WEB_DIR], {
      env: {
        PATH: process.env.PATH || '/usr/bin:/bin',
        ATRIUM_DATA_DIR: path.join(this.dir, 'data'),
        ATRIUM_DATABASE_URL: this.database.url,
        ATRIUM_LOG: 'info,sqlx=warn',
        ATRIUM_AUTH_RATE_PER_MINUTE: '10000',
        ...env
      },
      stdio: ['ignore', 'pipe', logFd]
    })
    fs.closeSync(logFd)
    this.child = child
    const exited = new Promise<{ code: number | null }>((resolve) => child.once('exit', (code) => resolve({ code })))
    const lines = readline.createInterface({ input: child.stdout! })
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`atrium did not listen within ${START_DEADLINE_MS} ms:\n${this.log()}`)), START_DEADLINE_MS)
      lines.on('line', (line) => {
        const m = /^atrium listening on (\S+)/.exec(line)
        if (m) { clearTimeout(timer); resolve(m[1].trim().replace(/\/+$/, '')) }
      })
      exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`atrium exited (code ${code}) before listening:\n${this.log()}`)) })
      child.once('error', (e) => { clearTimeout(timer); reject(e) })
    })
    ;(child as any).exited = exited
  }

  async destroy (failed: boolean): Promise<void> {
    const child = this.child
    this.child = null
    if (child && child.exitCode === null) {
      child.kill('SIGKILL')
      await (child as any).exited
    }
    if (failed) console.error(`---- atrium server log (last 80 lines) ----\n${this.log().split('\n').slice(-80).join('\n')}`)
    await this.database.drop()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }

  async request (method: string, urlPath: string, { token, json, body, headers = {} }: { token?: string, json?: unknown, body?: any, headers?: Record<string, string> } = {}) {
    const h: Record<string, string> = { ...headers }
    if (token) h.authorization = `Bearer ${token}`
    let payload = body
    if (json !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(json) }
    const res = await fetch(this.url + urlPath, { method, headers: h, body: payload })
    const bytes = new Uint8Array(await res.arrayBuffer())
    const text = new TextDecoder().decode(bytes)
    let parsed: any
    if ((res.headers.get('content-type') || '').includes('json')) { try { parsed = JSON.parse(text) } catch {} }
    return { status: res.status, json: parsed, text, bytes }
  }

  async call (method: string, urlPath: string, opts: Parameters<TestServer['request']>[2] = {}, expect: number | number[] = 200) {
    const res = await this.request(method, urlPath, opts)
    const ok = Array.isArray(expect) ? expect.includes(res.status) : res.status === expect
    if (!ok) throw new Error(`${method} ${urlPath}: expected ${expect}, got ${res.status}: ${res.text.slice(0, 400)}`)
    return res
  }

  get outbox (): string { return path.join(this.dir, 'data', 'outbox') }

  /** The newest `{linkPath}?token=…` link token mailed to `to` that is not in `seen`; waits up to 20 s. */
  async mailedToken (to: string, linkPath: string, seen: string[] = []): Promise<string> {
    const deadline = Date.now() + 20_000
    for (;;) {
      const found = mailedTokens(this.outbox, to, linkPath).reverse().find((t) => !seen.includes(t))
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no ${linkPath} link to ${to} in ${this.outbox}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  /** A signed-up, logged-in user; `verified` (the default) opens the link of the sign-up e-mail. */
  async user (label: string, { verified = true }: { verified?: boolean } = {}): Promise<TestUser> {
    const email = `${label}-${rand()}@example.com`
    const password = `Quiet-harbour-${rand(4)}-lantern`
    const name = `${label[0].toUpperCase()}${label.slice(1)} Tester`
    const handle = `${label}${rand(2)}`
    await this.call('POST', '/api/v1/auth/signup', { json: { email, password, name, handle } }, 201)
    const login = await this.call('POST', '/api/v1/auth/login', { json: { email, password } })
    const u = login.json.user
    const user = { id: u.id, email, password, token: login.json.token, name: u.name, handle: u.handle }
    if (verified) {
      const token = await this.mailedToken(email, '/verify-email')
      await this.call('POST', '/api/v1/auth/verify-email', { token: user.token, json: { token } })
    }
    return user
  }

  /** Adds `user` to `org` the real way: `owner` invites their address and they accept the e-mailed invitation. */
  async join (owner: TestUser, org: string, user: TestUser, role = 'member'): Promise<void> {
    const seen = mailedTokens(this.outbox, user.email, '/invitations')
    await this.call('POST', `/api/v1/orgs/${org}/members`, { token: owner.token, json: { email: user.email, role } }, 202)
    const token = await this.mailedToken(user.email, '/invitations', seen)
    await this.call('POST', '/api/v1/invitations/accept', { token: user.token, json: { token } })
  }

  /** An owner with an org, a project and a document, plus members with project roles. */
  async world ({ members = {}, title = 'Shared notes' }: { members?: Record<string, string>, title?: string } = {}) {
    const owner = await this.user('owner')
    const org = (await this.call('POST', '/api/v1/orgs', { token: owner.token, json: { name: `Org ${rand(2)}` } }, 201)).json.id as string
    const project = (await this.call('POST', `/api/v1/orgs/${org}/projects`, { token: owner.token, json: { name: `Project ${rand(2)}` } }, 201)).json.id as string
    const doc = (await this.call('POST', `/api/v1/projects/${project}/docs`, { token: owner.token, json: { title } }, 201)).json.id as string
    const users: Record<string, TestUser> = { owner }
    for (const [label, role] of Object.entries(members)) {
      const u = await this.user(label)
      await this.join(owner, org, u)
      await this.call('POST', `/api/v1/projects/${project}/members`, { token: owner.token, json: { user_id: u.id, role } }, [200, 201, 204])
      users[label] = u
    }
    return { owner, org, project, doc, users }
  }
}

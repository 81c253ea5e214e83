// Side-by-side benchmark of collaboration servers, each driven by its own stock provider:
// Atrium (one node, or several on PostgreSQL + Redis with the clients split across them) with
// `y-websocket`'s WebsocketProvider, `@y/websocket-server` with the same provider, and
// `@hocuspocus/server` with `@hocuspocus/provider`. Every client is a Y.Doc behind a provider,
// as in a browser; the same client shape for every server.
//
// Each client appends a marker `§CCCCCSSSSS ` (client, sequence) to the shared text every
// --pace-ms; every other client of the room times the marker's arrival in the updates its
// document applies. Printed: edit-to-peer latency p50/p99/max, convergence after the last edit, the
// servers' CPU per delivered update (a delivery = one edit reaching one peer; all processes of
// the server, and separately the database and Redis it uses), RSS, and errors (sockets that
// closed after the first sync). With --duration-s and --sample-s it is a soak: RSS and the
// window's latency are printed every sample.
//
// The runner (run.sh) starts the reference servers and the services; this file starts Atrium's
// nodes itself (`--bin`) against the database and Redis it is given.
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { HocuspocusProvider } from '@hocuspocus/provider'

const { values: opts } = parseArgs({
  options: {
    server: { type: 'string' }, // atrium | y-websocket-server | hocuspocus
    nodes: { type: 'string', default: '1' }, // atrium nodes
    bin: { type: 'string', default: 'target/release/atrium' },
    'database-url': { type: 'string' }, // atrium on PostgreSQL (needed for --nodes > 1)
    'redis-url': { type: 'string' }, // atrium with --nodes > 1
    url: { type: 'string' }, // a reference server already running: ws://HOST:PORT
    pid: { type: 'string' }, // its process id
    'service-pids': { type: 'string', default: '' }, // database, Redis: their CPU is shown apart
    clients: { type: 'string', default: '50' },
    rooms: { type: 'string', default: '5' },
    edits: { type: 'string', default: '200' },
    'pace-ms': { type: 'string', default: '100' },
    'duration-s': { type: 'string' }, // instead of --edits: edits = duration / pace
    'sample-s': { type: 'string', default: '0' },
    // Keep each document's text under this many characters: each edit then also deletes the
    // oldest marker, so a long soak measures the servers, not documents growing without end.
    'keep-chars': { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
})

const clients = Number(opts.clients)
const rooms = Number(opts.rooms)
const pace = Number(opts['pace-ms'])
const edits = opts['duration-s'] ? Math.round((Number(opts['duration-s']) * 1000) / pace) : Number(opts.edits)
const sampleMs = Number(opts['sample-s']) * 1000
const nodes = Number(opts.nodes)
const keepChars = Number(opts['keep-chars'])
if (!(clients >= rooms && rooms >= 1 && pace >= 1 && edits >= 1 && nodes >= 1)) {
  throw new Error('need --clients ≥ --rooms ≥ 1, --pace-ms ≥ 1, at least one edit and one node')
}

// ---- /proc readings -------------------------------------------------------------------------

const TICK = 100 // clock ticks per second (CLK_TCK on Linux)

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** CPU seconds of a process and everything under it: its own time and its reaped children's
 * (utime, stime, cutime, cstime), plus the same of each live child. */
function treeCpu(pid) {
  const fields = stat(pid)
  if (!fields) return 0
  // After the command name: ppid is field 2 (index 1), utime..cstime indices 11..14.
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
  for (const child of childrenOf(pid)) ticks += treeCpu(child) * TICK
  return ticks / TICK
}

function childrenOf(pid) {
  const out = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const fields = stat(name)
    if (fields && Number(fields[1]) === pid) out.push(Number(name))
  }
  return out
}

function rssMb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
    return Number(line.split(/\s+/)[1]) / 1024
  } catch {
    return 0
  }
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0)

function percentiles(values) {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN, n: 0 }
  const sorted = Float64Array.from(values).sort()
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))]
  return { p50: at(50), p99: at(99), max: sorted[sorted.length - 1], n: sorted.length }
}

// ---- servers --------------------------------------------------------------------------------

/** Starts one Atrium node; resolves with its base URL and process. */
function startAtrium(index, dataDir) {
  const env = {
    ...process.env,
    ATRIUM_DATA_DIR: dataDir,
    ATRIUM_AUTH_RATE_PER_MINUTE: '1000000',
    ATRIUM_API_RATE_PER_SECOND: '1000000',
  }
  if (opts['database-url']) env.ATRIUM_DATABASE_URL = opts['database-url']
  if (nodes > 1) {
    env.ATRIUM_REDIS_URL = opts['redis-url']
    env.ATRIUM_NODE_ID = `bench-${index}`
  }
  const child = spawn(opts.bin, ['serve', '--listen', '127.0.0.1:0', '--log', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error('atrium did not listen within 60 s')), 60_000)
    child.on('exit', (code) => reject(new Error(`atrium exited with ${code} before listening`)))
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      const match = buffered.match(/atrium listening on (\S+)/)
      if (match) {
        clearTimeout(timer)
        child.stdout.removeAllListeners('data')
        child.stdout.resume()
        resolve({ base: match[1], child, pid: child.pid })
      }
    })
  })
}

async function post(base, path, body, token) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
  return response.json()
}

/** A user, an organisation, a project and one document per room, made over HTTP. */
async function atriumTenant(base) {
  const credentials = { email: 'bench@example.com', password: 'side by side benchmark password' }
  await post(base, '/api/v1/auth/signup', { ...credentials, name: 'Bench' })
  const { token } = await post(base, '/api/v1/auth/login', credentials)
  const org = await post(base, '/api/v1/orgs', { name: 'Bench' }, token)
  const project = await post(base, `/api/v1/orgs/${org.id}/projects`, { name: 'Bench' }, token)
  const docs = []
  for (let i = 0; i < rooms; i++) {
    docs.push((await post(base, `/api/v1/projects/${project.id}/docs`, { title: `Room ${i}` }, token)).id)
  }
  return { token, docs }
}

/** What the clients connect to: a provider factory per client, and the server's processes. */
async function target() {
  if (opts.server === 'atrium') {
    const dirs = []
    const started = []
    for (let i = 0; i < nodes; i++) {
      dirs.push(mkdtempSync(join(tmpdir(), 'atrium-sbs-')))
      started.push(await startAtrium(i, dirs[i]))
    }
    const { token, docs } = await atriumTenant(started[0].base)
    return {
      pids: started.map((s) => s.pid),
      connect: (client, doc) => {
        const node = started[client % nodes]
        return yProvider(`${node.base.replace(/^http/, 'ws')}/collab`, docs[client % rooms], doc, { token })
      },
      stop: () => {
        for (const s of started) s.child.kill('SIGKILL')
        for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const pid = Number(opts.pid)
  if (opts.server === 'y-websocket-server') {
    return {
      pids: [pid],
      connect: (client, doc) => yProvider(opts.url, `room-${client % rooms}`, doc, {}),
      stop: () => {},
    }
  }
  if (opts.server === 'hocuspocus') {
    return {
      pids: [pid],
      connect: (client, doc) => hocuspocusProvider(opts.url, `room-${client % rooms}`, doc),
      stop: () => {},
    }
  }
  throw new Error('--server must be atrium, y-websocket-server or hocuspocus')
}

// ---- the two providers, behind one small interface --------------------------------------------

/** y-websocket's provider; resolves once synced. */
function yProvider(serverUrl, room, doc, params) {
  const provider = new WebsocketProvider(serverUrl, room, doc, { WebSocketPolyfill: WebSocket, params, disableBc: true })
  const client = { destroy: () => provider.destroy(), closes: 0 }
  provider.on('status', ({ status }) => {
    if (status === 'disconnected') client.closes += 1
  })
  return new Promise((resolve) => {
    provider.once('sync', () => resolve(client))
  })
}

/** Hocuspocus's provider; resolves once synced. */
function hocuspocusProvider(url, name, doc) {
  const client = { closes: 0 }
  return new Promise((resolve) => {
    const provider = new HocuspocusProvider({
      url,
      name,
      document: doc,
      WebSocketPolyfill: WebSocket,
      onSynced: () => resolve(client),
      onDisconnect: () => {
        client.closes += 1
      },
    })
    client.destroy = () => provider.destroy()
  })
}

// ---- the run ---------------------------------------------------------------------------------

process.setMaxListeners(0) // y-websocket's provider adds an exit listener per provider
/** The five ASCII digits at `at` as a number, or -1. */
function digits(bytes, at) {
  let n = 0
  for (let k = at; k < at + 5; k++) {
    const d = bytes[k] - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}
const server = await target()
// Atrium's nodes are this process's children: stop them when the run is interrupted.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.stop()
    process.exit(1)
  })
}
const servicePids = opts['service-pids'].split(',').filter(Boolean).map(Number)
const members = Array.from({ length: rooms }, (_, room) => Math.floor((clients - room - 1) / rooms) + 1)

const sentAt = new Map() // client * 1e5 + seq -> performance.now()
let latencies = []
let windowLatencies = []
let delivered = 0
const seen = new Array(clients).fill(0)
const docs = []
const texts = []
const providers = []
let allConverged = null
let remaining = clients

for (let c = 0; c < clients; c++) {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  const expected = (members[c % rooms] - 1) * edits
  // Markers are found in the raw update bytes (the inserted text is UTF-8 in a v1 update), as
  // atrium-load does: decoding a text delta per update would make the clients, not the
  // servers, the bottleneck. Remote updates carry their provider as origin; local ones null.
  doc.on('update', (update, origin) => {
    if (origin === null) return
    const now = performance.now()
    for (let i = update.indexOf(0xc2); i >= 0 && i + 12 <= update.length; i = update.indexOf(0xc2, i + 1)) {
      if (update[i + 1] !== 0xa7) continue
      const from = digits(update, i + 2)
      const seq = digits(update, i + 7)
      if (from < 0 || seq < 0 || from === c) continue
      const at = sentAt.get(from * 1e5 + seq)
      if (at === undefined) continue
      const ms = now - at
      latencies.push(ms)
      windowLatencies.push(ms)
      delivered += 1
      seen[c] += 1
      if (seen[c] === expected && --remaining === 0) allConverged?.(now)
    }
  })
  docs.push(doc)
  texts.push(text)
}

const connectStarted = performance.now()
for (let c = 0; c < clients; c++) providers.push(await server.connect(c, docs[c]))
const connectMs = performance.now() - connectStarted

const pids = server.pids
const cpu = () => sum(pids.map(treeCpu))
const serviceCpu = () => sum(servicePids.map(treeCpu))
const rss = () => sum(pids.map(rssMb))
const rssBefore = rss()
const cpuBefore = cpu()
const serviceCpuBefore = serviceCpu()
const clientCpuBefore = process.cpuUsage()
const started = performance.now()
let lastSend = started

const samples = []
const sampler =
  sampleMs > 0
    ? setInterval(() => {
        const w = percentiles(windowLatencies)
        windowLatencies = []
        const row = {
          at_s: Math.round((performance.now() - started) / 1000),
          rss_mb: +rss().toFixed(1),
          p50_ms: +w.p50.toFixed(2),
          p99_ms: +w.p99.toFixed(2),
          deliveries: w.n,
          closes: sum(providers.map((p) => p.closes)),
        }
        samples.push(row)
        console.log(JSON.stringify(row))
      }, sampleMs)
    : null

const converged = new Promise((resolve) => {
  allConverged = resolve
})
const writers = []
for (let c = 0; c < clients; c++) {
  writers.push(
    new Promise((resolve) => {
      // Spread the clients over the first pacing interval, as real typists are.
      setTimeout(() => {
        let seq = 0
        const tick = () => {
          const text = texts[c]
          const key = c * 1e5 + seq
          sentAt.set(key, performance.now())
          docs[c].transact(() => {
            text.insert(text.length, `§${String(c).padStart(5, '0')}${String(seq).padStart(5, '0')} `)
            if (keepChars > 0 && text.length > keepChars) text.delete(0, 12)
          })
          seq += 1
          if (seq === edits) {
            clearInterval(timer)
            lastSend = Math.max(lastSend, performance.now())
            resolve()
          }
        }
        const timer = setInterval(tick, pace)
      }, pace * ((c * 0.618034) % 1))
    }),
  )
}
await Promise.all(writers)
const convergedAt = await Promise.race([
  converged,
  new Promise((resolve) => setTimeout(() => resolve(null), 60_000)),
])
const elapsed = (performance.now() - started) / 1000
if (sampler) clearInterval(sampler)
const serverCpu = cpu() - cpuBefore
const servicesCpu = serviceCpu() - serviceCpuBefore
const client = process.cpuUsage(clientCpuBefore)
const rssAfter = rss()
const closes = sum(providers.map((p) => p.closes))
const lat = percentiles(latencies)
const expectedDeliveries = sum(members.map((m) => m * (m - 1) * edits))

const result = {
  server: opts.server === 'atrium' ? `atrium ${nodes} node${nodes > 1 ? 's' : ''}${opts['database-url'] ? ' (PostgreSQL)' : ' (SQLite)'}` : opts.server,
  clients,
  rooms,
  edits,
  pace_ms: pace,
  seconds: +elapsed.toFixed(1),
  connect_ms: +connectMs.toFixed(0),
  peer_p50_ms: +lat.p50.toFixed(2),
  peer_p99_ms: +lat.p99.toFixed(2),
  peer_max_ms: +lat.max.toFixed(2),
  convergence_ms: convergedAt === null ? null : +(convergedAt - lastSend).toFixed(1),
  delivered,
  expected: expectedDeliveries,
  deliveries_per_s: +(delivered / elapsed).toFixed(0),
  server_cpu_s: +serverCpu.toFixed(2),
  cpu_us_per_delivery: +((serverCpu * 1e6) / Math.max(1, delivered)).toFixed(1),
  services_cpu_s: +servicesCpu.toFixed(2),
  with_services_us_per_delivery: +(((serverCpu + servicesCpu) * 1e6) / Math.max(1, delivered)).toFixed(1),
  rss_before_mb: +rssBefore.toFixed(1),
  rss_after_mb: +rssAfter.toFixed(1),
  client_cpu_s: +((client.user + client.system) / 1e6).toFixed(2),
  closes,
}
console.log(JSON.stringify(result))
for (const p of providers) p.destroy()
server.stop()
// A run that lost edits or sockets fails, so a script running several notices.
process.exit(convergedAt === null || delivered !== expectedDeliveries || closes > 0 ? 1 : 0)

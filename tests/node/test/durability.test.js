// Durable before acknowledged: what the server echoed back to a client survives kill -9.

import assert from 'node:assert/strict'
import { backendTest, Y, waitFor, describe, ownClock, ackedClock, isAcked, expectedText, sleep } from './harness.js'

backendTest('durable echo: an acknowledged edit survives kill -9 at the moment of the ack', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const a = ctx.provider(server, w.docId, w.owner.token)
  const b = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([a, b])

  // Warm up: one edit, acknowledged (echoed back) — and y-websocket's own flag stays synced.
  a.doc.getText('text').insert(0, 'warm-up;')
  await ctx.acked([a])
  assert.equal(a.synced, true)

  // A burst of separate edits (one update each). The moment the echo of the last one arrives,
  // in the same event-loop turn, the server is killed with SIGKILL: if the echo left before the
  // commit, the last edits would be lost.
  const text = a.doc.getText('text')
  const n = 40
  const tokens = []
  for (let k = 0; k < n; k++) {
    const token = `e${k};`
    tokens.push(token)
    text.insert(text.length, token)
  }
  const target = ownClock(a.doc)
  let killedAt = null
  const killOnAck = () => {
    if (killedAt === null && isAcked(a, target)) {
      server.killNow()
      killedAt = ackedClock(a)
    }
  }
  a.ackListeners.add(killOnAck)
  await waitFor(() => killedAt !== null, { timeout: 15_000, what: 'the echo of the last edit', detail: () => describe([a, b]) })
  a.ackListeners.delete(killOnAck)
  // B had the burst live (broadcast does not wait for the commit; that is fine).

  await server.restart()
  // A fresh client (new Y.Doc) on the restarted server sees every acknowledged edit.
  const fresh = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([fresh])
  const got = fresh.doc.getText('text').toString()
  assert.equal(got, 'warm-up;' + tokens.join(''), 'a fresh client after restart')
  assert.ok(Y.getState(fresh.doc.store, a.doc.clientID) >= target)
  assert.equal(await server.content(w.docId, w.owner.token, 'text'), got)
})

backendTest('kill -9 in the middle of an editing session: nothing acknowledged is lost, all converge', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const clients = []
  for (let i = 0; i < 5; i++) {
    const p = ctx.provider(server, w.docId, i % 2 ? w.users.bob.token : w.owner.token)
    clients.push({ i, p, doc: p.doc, tokens: [] })
  }
  await ctx.synced(clients.map((c) => c.p))

  // Everyone types at a pace (every 15–35 ms), appending tokens or inserting them at the start;
  // each token remembers the client clock after it, so the acknowledged ones are known.
  let typing = true
  const typers = clients.map(async (c) => {
    const text = c.doc.getText('text')
    let k = 0
    while (typing) {
      const token = `<${c.i}:${k++}>`
      text.insert(k % 3 === 0 ? 0 : text.length, token)
      c.tokens.push({ token, clock: ownClock(c.doc) })
      await sleep(15 + ((k * 7 + c.i * 5) % 20))
    }
  })

  await sleep(1500)
  await server.kill() // mid-typing
  const typedAtKill = clients.map((c) => c.tokens.length)
  await sleep(300) // they keep typing, offline
  // (frames the server sent before it died may still be read after the kill: they count)
  const ackedAtKill = clients.map((c) => ackedClock(c.p))
  typing = false
  await Promise.all(typers)

  for (const [j, c] of clients.entries()) {
    assert.ok(ackedAtKill[j] > 0, `client ${c.i} had nothing acknowledged before the kill (typed ${typedAtKill[j]}) — the test proves nothing`)
  }

  await server.restart()
  // Before anyone reconnects: the server holds every acknowledged edit.
  const stored = await server.fetchDoc(w.docId, w.owner.token)
  const storedText = stored.getText('text').toString()
  const ackedTokens = []
  for (const [j, c] of clients.entries()) {
    const have = Y.getState(stored.store, c.doc.clientID)
    assert.ok(have >= ackedAtKill[j], `client ${c.i}: acknowledged up to clock ${ackedAtKill[j]}, the restarted server has ${have}`)
    for (const t of c.tokens) {
      if (t.clock <= ackedAtKill[j]) {
        ackedTokens.push(t.token)
        assert.ok(storedText.includes(t.token), `acknowledged ${t.token} is missing after restart`)
      }
    }
  }
  assert.equal(await server.content(w.docId, w.owner.token, 'text'), expectedText(stored))

  // The clients reconnect to the new address (new providers, same Y.Docs) and converge with
  // everything anyone typed, acknowledged or not.
  for (const c of clients) c.p.destroy()
  const again = clients.map((c, j) => ctx.provider(server, w.docId, j % 2 ? w.users.bob.token : w.owner.token, { doc: c.doc }))
  await ctx.synced(again)
  await ctx.converge(again, 30_000)
  await ctx.acked(again, 20_000)
  const final = again[0].doc.getText('text').toString()
  for (const c of clients) {
    for (const t of c.tokens) assert.ok(final.includes(t.token), `${t.token} lost`)
  }
  assert.equal(await server.content(w.docId, w.owner.token, 'text'), final)
  const fresh = ctx.provider(server, w.docId, w.owner.token)
  await ctx.synced([fresh])
  await ctx.converge([again[0], fresh])
  ctx.t.diagnostic(`typed ${clients.reduce((s, c) => s + c.tokens.length, 0)} tokens, ${ackedTokens.length} acknowledged before the kill`)
}, { timeout: 60_000 })

// Permissions on the collaboration socket: read-only roles and no access at all.

import assert from 'node:assert/strict'
import { backendTest, Y, addParagraph, waitFor, describe, paragraphs } from './harness.js'

const has = (p, s) => p.doc.getText('text').toString().includes(s)

backendTest("a viewer's or commenter's edit never reaches the others nor the database", async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor', vic: 'viewer', cam: 'commenter' } })
  const a = ctx.provider(server, w.docId, w.owner.token)
  const b = ctx.provider(server, w.docId, w.users.bob.token)
  const v = ctx.provider(server, w.docId, w.users.vic.token)
  const c = ctx.provider(server, w.docId, w.users.cam.token)
  const all = [a, b, v, c]
  await ctx.synced(all)

  a.doc.getText('text').insert(0, 'seed.')
  await waitFor(() => all.every((p) => has(p, 'seed.')), { what: 'the seed everywhere (read-only roles receive)', detail: () => describe(all) })

  // The read-only clients edit (the stock client sends the update like any other).
  v.doc.getText('text').insert(0, 'VIEWER-EDIT ')
  addParagraph(v.doc, 'VIEWER-PARAGRAPH')
  c.doc.getText('text').insert(0, 'COMMENTER-EDIT ')
  c.doc.getMap('meta').set('COMMENTER-KEY', 1)

  // An editor edits after them; once that is everywhere, anything relayed from the read-only
  // clients would have arrived too (one connection's frames are handled in order).
  a.doc.getText('text').insert(a.doc.getText('text').length, ' after')
  await waitFor(() => all.every((p) => has(p, ' after')), { what: "the editor's later edit everywhere (read-only roles still receive)", detail: () => describe(all) })
  await ctx.acked([a])
  const check = async (stage) => {
    for (const p of [a, b]) {
      const t = p.doc.getText('text').toString()
      assert.ok(!t.includes('VIEWER') && !t.includes('COMMENTER'), `${stage}: an editor received a read-only edit: ${JSON.stringify(t)}`)
      assert.deepEqual(paragraphs(p.doc), [], `${stage}: an editor received the viewer's paragraph`)
      assert.equal(p.doc.getMap('meta').size, 0, `${stage}: an editor received the commenter's map entry`)
    }
    const content = await server.content(w.docId, w.owner.token, 'text')
    assert.ok(!content.includes('VIEWER') && !content.includes('COMMENTER'), `${stage}: the server content has a read-only edit: ${JSON.stringify(content)}`)
    const stored = await server.fetchDoc(w.docId, w.owner.token)
    const sv = Y.decodeStateVector(Y.encodeStateVector(stored))
    assert.ok(!sv.has(v.doc.clientID) && !sv.has(c.doc.clientID), `${stage}: the server's state holds structs of a read-only client: ${JSON.stringify([...sv])}`)
    return content
  }
  assert.equal(await check('live'), 'seed. after')

  // The stock client resends everything the server lacks in its SyncStep2 when it reconnects:
  // refused as well.
  v.disconnect()
  c.disconnect()
  v.connect()
  c.connect()
  await ctx.synced([v, c])
  a.doc.getText('text').insert(a.doc.getText('text').length, ' third')
  await waitFor(() => all.every((p) => has(p, ' third')), { what: "the third edit everywhere", detail: () => describe(all) })
  await ctx.acked([a])
  assert.equal(await check('after the read-only clients reconnected'), 'seed. after third')

  // REST writes are refused for them too.
  const local = Y.encodeStateAsUpdate(v.doc)
  for (const u of [w.users.vic, w.users.cam]) {
    const res = await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: u.token, body: local })
    assert.equal(res.status, 403, `POST update by a read-only role: ${res.status} ${res.text}`)
  }
  assert.equal(await check('after refused REST writes'), 'seed. after third')

  // And nothing of theirs is in the database: after a crash and restart the stored document
  // is the editors' alone.
  for (const p of all) p.destroy()
  await server.restart()
  assert.equal(await check('after kill -9 and restart'), 'seed. after third')
  // Read-only connections were never closed for trying (the server refuses silently).
  for (const p of [v, c]) {
    assert.deepEqual(p.closeEvents.filter((e) => e.code >= 4000), [], `read-only client was closed: ${JSON.stringify(p.closeEvents)}`)
  }
})

backendTest('no access: the auth-denied message, then the socket closes', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world()
  const outsider = await server.user('outsider') // signed up, not in the org
  const a = ctx.provider(server, w.docId, w.owner.token)
  await ctx.synced([a])
  a.doc.getText('text').insert(0, 'secret content')
  await ctx.acked([a])

  const cases = [
    ['a user outside the org', outsider.token],
    ['an invalid token', 'not-a-token-' + 'x'.repeat(20)],
    ['no token at all', undefined]
  ]
  for (const [label, token] of cases) {
    const s = ctx.rawSocket(server, w.docId, token)
    const outcome = await Promise.race([
      s.closed.then((c) => ({ closed: c })),
      s.unexpected.then((r) => ({ httpStatus: r.status })),
      new Promise((resolve) => setTimeout(() => resolve({ timeout: true }), 10_000))
    ])
    assert.ok(!outcome.httpStatus, `${label}: the upgrade was refused with HTTP ${outcome.httpStatus} instead of the auth-denied message`)
    assert.ok(!outcome.timeout, `${label}: the socket was not closed within 10 s; messages: ${JSON.stringify(s.messages)}`)
    const auth = s.messages.filter((m) => m.type === 'auth')
    assert.equal(auth.length, 1, `${label}: expected one auth message, got ${JSON.stringify(s.messages)}`)
    assert.equal(auth[0].denied, true, `${label}: the auth message is not permission-denied`)
    assert.ok(typeof auth[0].reason === 'string' && auth[0].reason.length > 0, `${label}: no reason in the denial`)
    // Nothing about the document before or besides the denial.
    assert.deepEqual(s.messages.map((m) => m.type), ['auth'], `${label}: the denied socket received ${JSON.stringify(s.messages.map((m) => m.type))}`)
    assert.ok(outcome.closed.code >= 4400 && outcome.closed.code < 4500,
      `${label}: close code ${outcome.closed.code} is not in 4400–4499 (the stock client would keep reconnecting)`)
  }

  // A document that does not exist looks the same as one without access.
  const missing = ctx.rawSocket(server, 'no-such-document', w.owner.token)
  const mc = await Promise.race([missing.closed, new Promise((resolve) => setTimeout(() => resolve(null), 10_000))])
  assert.ok(mc, 'socket to a missing document not closed')
  assert.deepEqual(missing.messages.map((m) => [m.type, m.denied]), [['auth', true]])

  // The stock provider: never synced, never gets the content, and stops reconnecting (a close
  // in 4400–4499 is permanent for y-websocket 3.1) with the 'closed' event.
  const warn = console.warn
  const warnings = []
  console.warn = (...args) => warnings.push(args.join(' '))
  try {
    const p = ctx.provider(server, w.docId, outsider.token)
    const closed = await waitFor(() => p.closeEvents.length > 0 && p.closeEvents[0], { what: "the outsider's provider to be closed" })
    assert.ok(closed.code >= 4400 && closed.code < 4500,
      `the stock provider's socket closed with ${closed.code}${closed.code === 1006 ? ' (abnormal: no close frame reached it)' : ''} ` +
      'instead of a 44xx code: y-websocket 3.1 treats that as transient and keeps reconnecting')
    await waitFor(() => warnings.some((w) => w.includes('Permission denied')), { what: "y-websocket's permission-denied warning" })
    assert.equal(p.synced, false)
    assert.equal(p.shouldConnect, false, 'the stock client would reconnect forever')
    assert.equal(p.doc.getText('text').toString(), '')
  } finally {
    console.warn = warn
  }
  assert.equal(a.doc.getText('text').toString(), 'secret content')
})

// The REST side of documents: binary Yjs updates in and out, meeting live clients.

import assert from 'node:assert/strict'
import { backendTest, Y, addParagraph, paragraphs, expectedText, waitFor, describe } from './harness.js'

backendTest('REST updates reach connected clients live; GET update equals the content', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const a = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([a])
  a.doc.getText('text').insert(0, 'typed live.')
  await ctx.acked([a])

  // An update made locally (a separate Y.Doc, its own client id) posted over REST.
  const local = new Y.Doc()
  local.getText('text').insert(0, '[from REST]')
  addParagraph(local, 'REST paragraph')
  const res = await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: w.owner.token, body: Y.encodeStateAsUpdate(local) })
  assert.equal(res.status, 204, `POST update: ${res.status} ${res.text}`)
  await waitFor(() => a.doc.getText('text').toString().includes('[from REST]') && paragraphs(a.doc).includes('REST paragraph'), {
    what: 'the REST update at the connected client', detail: () => describe([a])
  })

  // An incremental update built on the server's state (GET update → edit → diff).
  const remote = await server.fetchDoc(w.docId, w.owner.token)
  const before = Y.encodeStateVector(remote)
  remote.getText('text').insert(remote.getText('text').length, '[appended via REST]')
  remote.getText('text').delete(0, 1)
  const diff = Y.encodeStateAsUpdate(remote, before)
  assert.equal((await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: w.users.bob.token, body: diff })).status, 204)
  await waitFor(() => a.doc.getText('text').toString() === remote.getText('text').toString(), {
    what: 'the incremental REST update at the connected client', detail: () => `want ${JSON.stringify(remote.getText('text').toString())}\n${describe([a])}`
  })

  // GET update, applied to a fresh doc, is the document: same state and content as the client.
  const fresh = await server.fetchDoc(w.docId, w.owner.token)
  assert.deepEqual(Y.encodeStateVector(fresh), Y.encodeStateVector(a.doc))
  assert.equal(fresh.getText('text').toString(), a.doc.getText('text').toString())
  assert.equal(fresh.getXmlFragment('default').toString(), a.doc.getXmlFragment('default').toString())
  assert.equal(await server.content(w.docId, w.owner.token, 'text'), expectedText(fresh))

  // Bad input is refused without harming the document.
  const bad = await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: w.owner.token, body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) })
  assert.equal(bad.status, 400, `garbage update: ${bad.status} ${bad.text}`)
  const empty = await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: w.owner.token, body: new Uint8Array() })
  assert.equal(empty.status, 400)

  // "Stored before this answers": a 204 survives kill -9 right after it.
  const late = new Y.Doc()
  late.getText('text').insert(0, '[last words]')
  assert.equal((await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: w.owner.token, body: Y.encodeStateAsUpdate(late) })).status, 204)
  server.killNow()
  await server.restart()
  const afterCrash = await server.fetchDoc(w.docId, w.owner.token)
  assert.ok(afterCrash.getText('text').toString().includes('[last words]'), 'a REST update answered 204 was lost by kill -9')
  assert.ok(afterCrash.getText('text').toString().includes('[appended via REST]'))

  // Someone outside the organisation sees nothing: 404, not 403.
  const outsider = await server.user('outsider')
  assert.equal((await server.request('GET', `/api/v1/docs/${w.docId}/update`, { token: outsider.token })).status, 404)
  assert.equal((await server.request('POST', `/api/v1/docs/${w.docId}/update`, { token: outsider.token, body: Y.encodeStateAsUpdate(late) })).status, 404)
})

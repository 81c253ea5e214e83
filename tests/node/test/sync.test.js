// Stock y-websocket clients converge through the server: two, ten, and after offline edits.

import assert from 'node:assert/strict'
import { backendTest, addParagraph, expectedText, paragraphs, waitFor, describe, sleep } from './harness.js'

backendTest('two clients converge on concurrent edits (Y.Text and XmlFragment)', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const a = ctx.provider(server, w.docId, w.owner.token)
  const b = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([a, b])

  // Both edit in the same tick: neither has seen the other's change.
  a.doc.getText('text').insert(0, 'Hello from A. ')
  addParagraph(a.doc, 'Paragraph by A')
  b.doc.getText('text').insert(0, 'Bonjour de B. ')
  addParagraph(b.doc, 'Paragraph by B')
  // And a second, overlapping round on the merged-so-far state.
  a.doc.getText('text').insert(a.doc.getText('text').length, '[a-end]')
  b.doc.getText('text').insert(0, '[b-start]')

  await ctx.converge([a, b])
  const text = a.doc.getText('text').toString()
  for (const piece of ['Hello from A. ', 'Bonjour de B. ', '[a-end]', '[b-start]']) {
    assert.ok(text.includes(piece), `merged text lacks ${JSON.stringify(piece)}: ${JSON.stringify(text)}`)
  }
  assert.deepEqual(paragraphs(a.doc).slice().sort(), ['Paragraph by A', 'Paragraph by B'])

  // The durable echo came back to each: the server holds both edits.
  await ctx.acked([a, b])
  const content = await server.content(w.docId, w.owner.token, 'text')
  assert.equal(content, expectedText(a.doc), 'the server renders the merged document')

  const json = JSON.parse(await server.content(w.docId, w.owner.token, 'json'))
  assert.equal(json.text, text, 'format=json carries the merged Y.Text')
})

backendTest('ten clients converge on concurrent edits', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const providers = []
  for (let i = 0; i < 10; i++) {
    providers.push(ctx.provider(server, w.docId, i % 2 ? w.users.bob.token : w.owner.token))
  }
  await ctx.synced(providers)

  // Every client makes 25 edits (inserts at random places, some deletions, some paragraphs),
  // interleaved with the others' in the event loop, so edits cross on the wire.
  const tokens = []
  await Promise.all(providers.map(async (p, i) => {
    let seed = i + 1
    const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
    const text = p.doc.getText('text')
    for (let k = 0; k < 25; k++) {
      const op = rnd(10)
      if (op < 7 || text.length < 4) {
        const token = `<${i}.${k}>`
        tokens.push(token)
        // at a token boundary, so no token is split by another
        const s = text.toString()
        const bounds = [0]
        for (let j = 0; j < s.length; j++) if (s[j] === '>' || s[j] === '~') bounds.push(j + 1)
        text.insert(bounds[rnd(bounds.length)], token)
      } else if (op < 9) {
        // delete a single character that is not inside a token this test tracks: only '~' fillers
        const s = text.toString()
        const at = s.indexOf('~')
        if (at >= 0) text.delete(at, 1)
        else text.insert(0, '~')
      } else {
        addParagraph(p.doc, `c${i} p${k}`)
      }
      await sleep(rnd(4))
    }
  }))

  await ctx.converge(providers, 30_000)
  const text = providers[0].doc.getText('text').toString()
  for (const token of tokens) {
    assert.ok(text.includes(token), `converged text lacks ${token}`)
  }
  await ctx.acked(providers, 20_000)
  assert.equal(await server.content(w.docId, w.owner.token, 'text'), expectedText(providers[0].doc))
})

backendTest('offline edits merge on reconnect', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor' } })
  const a = ctx.provider(server, w.docId, w.owner.token)
  const b = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([a, b])
  a.doc.getText('text').insert(0, 'base text.')
  addParagraph(a.doc, 'first')
  await ctx.converge([a, b])
  await ctx.acked([a])

  a.disconnect()
  await waitFor(() => !a.wsconnected && a.ws === null, { what: 'A to disconnect' })

  // Both sides edit: A offline, B online.
  a.doc.getText('text').insert(0, '[offline-A]')
  a.doc.getText('text').delete(a.doc.getText('text').length - 1, 1) // drop the final '.'
  addParagraph(a.doc, 'offline paragraph')
  b.doc.getText('text').insert(b.doc.getText('text').length, '[online-B]')
  addParagraph(b.doc, 'online paragraph')
  await ctx.acked([b])

  // A really was offline: it has not seen B's edit and the server has not seen A's.
  assert.ok(!a.doc.getText('text').toString().includes('[online-B]'), 'A received an edit while disconnected')
  const before = await server.content(w.docId, w.owner.token, 'text')
  assert.ok(before.includes('[online-B]') && !before.includes('[offline-A]'), `server content before reconnect: ${JSON.stringify(before)}`)

  a.connect()
  await ctx.converge([a, b])
  const text = a.doc.getText('text').toString()
  assert.equal(text, '[offline-A]base text[online-B]')
  assert.deepEqual(paragraphs(a.doc).slice().sort(), ['first', 'offline paragraph', 'online paragraph'])
  await waitFor(async () => (await server.content(w.docId, w.owner.token, 'text')) === expectedText(a.doc), {
    what: 'the server content to include the offline edits',
    detail: () => describe([a, b])
  })
  // A's offline edits reached the server through its SyncStep2 on reconnect and are durable:
  // a brand-new client gets them.
  const c = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([c])
  await ctx.converge([a, b, c])
})

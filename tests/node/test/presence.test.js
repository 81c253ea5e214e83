// Presence (awareness) through the server with stock providers.

import assert from 'node:assert/strict'
import { backendTest, waitFor, describe } from './harness.js'

const stateAt = (provider, clientID) => provider.awareness.getStates().get(clientID)

backendTest('presence appears, updates and disappears when the client goes away', async (ctx) => {
  const server = await ctx.server()
  const w = await server.world({ members: { bob: 'editor', vic: 'viewer' } })
  const a = ctx.provider(server, w.docId, w.owner.token)
  a.awareness.setLocalStateField('user', { name: 'Ann', color: '#f00' })
  const b = ctx.provider(server, w.docId, w.users.bob.token)
  await ctx.synced([a, b])

  await waitFor(() => stateAt(b, a.doc.clientID)?.user?.name === 'Ann', {
    what: "A's presence at B", detail: () => JSON.stringify([...b.awareness.getStates()])
  })

  // A later joiner gets the current presence of the room on connect (a viewer: read-only
  // roles still see and show presence).
  const v = ctx.provider(server, w.docId, w.users.vic.token)
  v.awareness.setLocalStateField('user', { name: 'Vic' })
  await ctx.synced([v])
  await waitFor(() => stateAt(v, a.doc.clientID)?.user?.name === 'Ann', {
    what: "A's presence at a late joiner", detail: () => JSON.stringify([...v.awareness.getStates()])
  })
  await waitFor(() => stateAt(a, v.doc.clientID)?.user?.name === 'Vic' && stateAt(b, v.doc.clientID)?.user?.name === 'Vic', {
    what: "the late joiner's presence at A and B"
  })

  // Updates travel.
  a.awareness.setLocalStateField('cursor', { anchor: 1, head: 2 })
  await waitFor(() => stateAt(b, a.doc.clientID)?.cursor?.head === 2, { what: "A's cursor at B" })

  // A moves its cursor and its connection dies right then — no goodbye (no null awareness
  // state), the TCP connection is just gone — at the moment the room relays the move. The
  // stock provider re-broadcasts every awareness change it receives, its peers' included, so
  // B's copy of A's state reaches the server around the time A's connection is dropped. The
  // server must remove A's state and tell the room, well before the 30 s after which B's own
  // awareness would drop it, and a peer's relayed copy must not take A's place.
  const dropA = () => {
    if (stateAt(b, a.doc.clientID)?.cursor?.head === 7) {
      b.awareness.off('change', dropA)
      a.shouldConnect = false
      a.ws.terminate()
    }
  }
  b.awareness.on('change', dropA)
  a.awareness.setLocalStateField('cursor', { anchor: 3, head: 7 })
  await waitFor(() => stateAt(b, a.doc.clientID)?.cursor?.head === 7 || !a.wsconnected, { what: "A's cursor at B" })
  const started = Date.now()
  await waitFor(() => !b.awareness.getStates().has(a.doc.clientID) && !v.awareness.getStates().has(a.doc.clientID), {
    timeout: 10_000,
    what: "A's presence to disappear at B and V after A's connection died",
    detail: () => `B sees ${JSON.stringify([...b.awareness.getStates().keys()])}, A is ${a.doc.clientID}\n${describe([a, b, v])}`
  })
  assert.ok(Date.now() - started < 10_000)
  // B's and V's own states are unaffected.
  assert.equal(stateAt(b, v.doc.clientID)?.user?.name, 'Vic', "V's presence at B survived A's departure")

  // A polite leave (provider.destroy sends a null state) is relayed too.
  const c = ctx.provider(server, w.docId, w.users.bob.token)
  c.awareness.setLocalStateField('user', { name: 'Cy' })
  await ctx.synced([c])
  await waitFor(() => stateAt(b, c.doc.clientID)?.user?.name === 'Cy', { what: "C's presence at B" })
  c.destroy()
  await waitFor(() => !b.awareness.getStates().has(c.doc.clientID), { timeout: 10_000, what: "C's presence to disappear at B" })

  // A comes back and moves its cursor: its presence reappears. (Without a change A would resend
  // its state with the clock the room last saw, which stock awareness ignores until the next
  // 15 s renewal — the same with the reference server.)
  a.connect()
  await ctx.synced([a])
  a.awareness.setLocalStateField('cursor', { anchor: 0, head: 1 })
  await waitFor(() => stateAt(b, a.doc.clientID)?.cursor?.head === 1 && stateAt(v, a.doc.clientID)?.cursor?.head === 1, {
    what: "A's presence at B and V after reconnecting (if it never comes back, another connection took over A's awareness id)",
    detail: () => `A's clock ${a.awareness.meta.get(a.doc.clientID)?.clock}, B's meta for A ${JSON.stringify(b.awareness.meta.get(a.doc.clientID))}\n${describe([a, b])}`
  })
})

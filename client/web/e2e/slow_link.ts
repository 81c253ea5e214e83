// A TCP proxy in front of a test server whose browser-to-server direction is throttled: a real
// slow uplink, so a test sees an upload genuinely in flight. (Chromium's emulated upload
// throttling only delays the response — the server already holds the whole body — so an upload
// "cancelled" under it may still be stored.)
import net from 'node:net'

export interface SlowLink {
  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Changes the uplink's rate from now on (`Infinity`: unthrottled). */
  setRate: (bytesPerSecond: number) => void
  close: () => Promise<void>
}

/** Forwards to `target` (an http://host:port origin), passing at most `bytesPerSecond` upstream. */
export async function slowLink (target: string, bytesPerSecond: number): Promise<SlowLink> {
  const { hostname, port } = new URL(target)
  const tickMs = 50
  let perTick = 0
  let throttled = true
  const setRate = (rate: number) => {
    throttled = Number.isFinite(rate)
    perTick = throttled ? Math.max(1, Math.floor(rate * tickMs / 1000)) : Number.MAX_SAFE_INTEGER
  }
  setRate(bytesPerSecond)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname)
    sockets.add(client).add(upstream)
    // Either side going away ends both at once: a cancelled upload must reach the server as a
    // cut connection, not as the rest of a body.
    const cut = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', cut).on('close', cut)
    upstream.on('error', cut).on('close', cut)
    upstream.pipe(client)
    let pending: Buffer[] = []
    client.on('data', (chunk: Buffer) => {
      if (!throttled && !pending.length) { upstream.write(chunk); return }
      pending.push(chunk)
      // Read no faster than the link allows, so TCP back-pressure slows the browser itself.
      client.pause()
    })
    const timer = setInterval(() => {
      if (!pending.length) { if (client.isPaused() && !client.destroyed) client.resume(); return }
      const all = Buffer.concat(pending)
      upstream.write(all.subarray(0, perTick))
      pending = all.length > perTick ? [all.subarray(perTick)] : []
    }, tickMs)
    client.on('close', () => clearInterval(timer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    setRate,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  }
}

// The stock Hocuspocus server with its defaults and no extensions (in memory, nothing stored),
// on 127.0.0.1:$PORT: the reference the side-by-side benchmark compares Atrium with.
import { Server } from '@hocuspocus/server'

const server = new Server({ address: '127.0.0.1', port: Number(process.env.PORT), quiet: true })
await server.listen()
console.log(`hocuspocus listening on ${process.env.PORT}`)

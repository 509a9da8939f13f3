// Echo server on Bun's built-in WebSocket server (Bun.serve; run by the `bun` binary of the
// @oven/bun-linux-x64 devDependency). The JS message handler sends every message back.
// PORT (0 = any); DEFLATE=1 enables permessage-deflate and compresses every echo.
// Prints {"ready":true,"server":"bun","port":P,"pid":N} once listening.
const deflate = process.env.DEFLATE === '1'

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT || 0),
  fetch(req, server) {
    if (server.upgrade(req)) return undefined
    return new Response('WebSocket only', { status: 426 })
  },
  websocket: {
    maxPayloadLength: 4 * 1024 * 1024,
    backpressureLimit: 64 * 1024 * 1024,
    idleTimeout: 0, // no idle close: idle connections stay as they are
    sendPings: false,
    perMessageDeflate: deflate,
    message(ws, message) {
      ws.send(message, deflate)
    },
  },
})
console.log(JSON.stringify({ ready: true, server: 'bun', port: server.port, pid: process.pid }))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

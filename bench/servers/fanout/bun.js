// Fan-out server on Bun.serve: connections to /publish are publishers; the others subscribe to
// topic 'bench' when they open, and every message of a publisher goes to server.publish('bench', …).
// PORT (0 = any); prints {"ready":true,"server":"bun","port":P,"pid":N} once listening.
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT || 0),
  fetch(req, server) {
    const publisher = new URL(req.url).pathname === '/publish'
    if (server.upgrade(req, { data: { publisher } })) return undefined
    return new Response('WebSocket only', { status: 426 })
  },
  websocket: {
    maxPayloadLength: 4 * 1024 * 1024,
    backpressureLimit: 64 * 1024 * 1024,
    idleTimeout: 0,
    sendPings: false,
    perMessageDeflate: false,
    open(ws) {
      if (!ws.data.publisher) ws.subscribe('bench')
    },
    message(ws, message) {
      server.publish('bench', message)
    },
  },
})
console.log(JSON.stringify({ ready: true, server: 'bun', port: server.port, pid: process.pid }))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

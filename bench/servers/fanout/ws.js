// Fan-out server on ws (with bufferutil): connections to /publish are publishers, the others
// subscribers; every message of a publisher is sent to every open subscriber by a loop over
// wss.clients, as ws applications broadcast.
// PORT (0 = any); prints {"ready":true,"server":"ws","port":P,"pid":N} once listening.
'use strict'
const { WebSocket, WebSocketServer } = require('ws')

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT || 0),
  maxPayload: 4 * 1024 * 1024,
  perMessageDeflate: false,
})
const publishers = new WeakSet()
wss.on('connection', (ws, request) => {
  ws.on('error', () => {})
  if (request.url !== '/publish') return
  publishers.add(ws)
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (!publishers.has(client) && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary })
    }
  })
})
wss.on('listening', () => {
  console.log(JSON.stringify({ ready: true, server: 'ws', port: wss.address().port, pid: process.pid }))
})
wss.on('error', (error) => {
  console.error(`ws: ${error.message}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

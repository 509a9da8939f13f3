// Echo server on ws (with bufferutil): the JS handler sends every message back.
// DEFLATE=1 enables permessage-deflate with threshold 0 (every echo compressed).
// PORT (0 = any); prints {"ready":true,"server":"ws","port":P,"pid":N} once listening.
'use strict'
const { WebSocketServer } = require('ws')

const bufferutil = (() => {
  try {
    require.resolve('bufferutil')
    return !process.env.WS_NO_BUFFER_UTIL
  } catch {
    return false
  }
})()
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT || 0),
  maxPayload: 4 * 1024 * 1024,
  perMessageDeflate: process.env.DEFLATE === '1' ? { threshold: 0 } : false,
  clientTracking: false,
})
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => {})
})
wss.on('listening', () => {
  console.log(JSON.stringify({ ready: true, server: 'ws', port: wss.address().port, pid: process.pid, bufferutil }))
})
wss.on('error', (error) => {
  console.error(`ws: ${error.message}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

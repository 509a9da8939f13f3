// Echo server on our message API (ws-like WebSocketServer from dist/index.js): the 'message'
// handler sends every message back. While dist/index.js has no WebSocketServer export this prints
// {"unavailable": "..."} and exits with status 3 (the orchestrator shows 'unavailable' cells).
// PORT (0 = any; the orchestrator always passes a free port); prints
// {"ready":true,"server":"poco-message","port":P,"pid":N} once listening.
// Runtime options of the addon (e.g. POCO_WS_THREADS) come through the environment unchanged.
// DEFLATE=1 asks for permessage-deflate on every message ({ threshold: 0 }); DEFLATE=shared uses
// the shared compressor ({ sharedCompressor: true }); a server that does not know the option
// ignores it, and the load generator then reports the row unavailable.
'use strict'
const lib = require('../../dist/index.js')

if (typeof lib.WebSocketServer !== 'function') {
  console.log(JSON.stringify({ unavailable: 'dist/index.js has no WebSocketServer export (message API not built)' }))
  process.exit(3)
}

const port = Number(process.env.PORT || 0)
const options = { port, host: '127.0.0.1', maxPayload: 4 * 1024 * 1024 }
if (process.env.DEFLATE === '1') options.perMessageDeflate = { threshold: 0 }
if (process.env.DEFLATE === 'shared') options.perMessageDeflate = { threshold: 0, sharedCompressor: true }
const wss = new lib.WebSocketServer(options)
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => {})
})
wss.on('listening', () => {
  const address = typeof wss.address === 'function' ? wss.address() : null
  const actual = (address && address.port) || port
  console.log(JSON.stringify({ ready: true, server: 'poco-message', port: actual, pid: process.pid }))
})
wss.on('error', (error) => {
  console.error(`poco-message: ${error && error.message}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

// Fan-out server on our message API's pub/sub: `ws.subscribe(topic)` and
// `wss.publish(topic, data, { binary })`. Connections to /publish are publishers; the others
// subscribe to 'bench' when they connect. A build without publish() prints
// {"unavailable": "..."} and exits with status 3.
// PORT (0 = any); prints {"ready":true,"server":"poco-message","port":P,"pid":N} once listening.
'use strict'
const lib = require('../../../dist/index.js')

function unavailable(why) {
  console.log(JSON.stringify({ unavailable: why }))
  process.exit(3)
}
if (typeof lib.WebSocketServer !== 'function') unavailable('dist/index.js has no WebSocketServer export (message API not built)')

const port = Number(process.env.PORT || 0)
const wss = new lib.WebSocketServer({ port, host: '127.0.0.1', maxPayload: 4 * 1024 * 1024 })
if (typeof wss.publish !== 'function') unavailable('WebSocketServer has no publish() (pub/sub not built)')

wss.on('connection', (ws, request) => {
  ws.on('error', () => {})
  if (request.getURI() === '/publish') ws.on('message', (data, isBinary) => wss.publish('bench', data, { binary: isBinary }))
  else ws.subscribe('bench')
})
wss.on('listening', () => {
  console.log(JSON.stringify({ ready: true, server: 'poco-message', port: wss.address().port, pid: process.pid }))
})
wss.on('error', (error) => {
  console.error(`poco-message: ${error && error.message}`)
  process.exit(1)
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

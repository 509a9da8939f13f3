// Client benchmark on ws (with bufferutil): CONNECTIONS connections, DEPTH binary messages of
// SIZE bytes in flight on each; every echo is answered by a new message. See common.js.
'use strict'
const WebSocket = require('ws')
const { settings, payload, start, fail } = require('./common')

const data = payload(settings.size)
let received = 0
let open = 0
for (let i = 0; i < settings.connections; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${settings.port}/`, { perMessageDeflate: false, maxPayload: 4 * 1024 * 1024 })
  ws.on('open', () => {
    for (let k = 0; k < settings.depth; k++) ws.send(data, { binary: true })
    if (++open === settings.connections) start('ws', () => received)
  })
  ws.on('message', () => {
    received++
    ws.send(data, { binary: true })
  })
  ws.on('error', (error) => fail('ws', error))
  ws.on('close', () => fail('ws', new Error('connection closed')))
}

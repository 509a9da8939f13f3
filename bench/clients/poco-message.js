// Client benchmark on our message API (planned ws-like `MessageWebSocket` in dist/index.js):
// 'open', 'message' (data, isBinary), send(data, { binary }). While the export is missing this
// prints {"unavailable": "..."} and exits with status 3. See common.js.
'use strict'
const lib = require('../../dist/index.js')

if (typeof lib.MessageWebSocket !== 'function') {
  console.log(JSON.stringify({ unavailable: 'dist/index.js has no MessageWebSocket export (message API not built)' }))
  process.exit(3)
}
const { settings, payload, start, fail } = require('./common')

const data = payload(settings.size)
let received = 0
let open = 0
for (let i = 0; i < settings.connections; i++) {
  const ws = new lib.MessageWebSocket(`ws://127.0.0.1:${settings.port}/`)
  ws.on('open', () => {
    for (let k = 0; k < settings.depth; k++) ws.send(data, { binary: true })
    if (++open === settings.connections) start('poco-message', () => received)
  })
  ws.on('message', () => {
    received++
    ws.send(data, { binary: true })
  })
  ws.on('error', (error) => fail('poco-message', error))
  ws.on('close', () => fail('poco-message', new Error('connection closed')))
}

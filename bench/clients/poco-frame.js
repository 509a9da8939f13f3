// Client benchmark on our Poco frame API (dist/index.js): WebSocket.connect, then DEPTH binary
// frames of SIZE bytes in flight; every received frame is answered by a new one (receiveFrame,
// sendFrame awaited in turn, as Poco code does). See common.js.
'use strict'
const { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, SendFlags, WebSocket } = require('../../dist/index.js')
const { settings, payload, start, fail } = require('./common')

const data = payload(settings.size)
let received = 0

async function run() {
  const session = new HTTPClientSession('127.0.0.1', settings.port)
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  const ws = await WebSocket.connect(session, request, new HTTPResponse())
  return async () => {
    for (let k = 0; k < settings.depth; k++) await ws.sendFrame(data, SendFlags.FRAME_BINARY)
    for (;;) {
      const { n, flags } = await ws.receiveFrame()
      if (n === 0 && flags === 0) throw new Error('connection closed')
      received++
      await ws.sendFrame(data, SendFlags.FRAME_BINARY)
    }
  }
}

Promise.all(Array.from({ length: settings.connections }, run))
  .then((loops) => {
    start('poco-frame', () => received)
    for (const loop of loops) loop().catch((error) => fail('poco-frame', error))
  })
  .catch((error) => fail('poco-frame', error))

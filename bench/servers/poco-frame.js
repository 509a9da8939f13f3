// Echo server on our Poco frame API (dist/index.js): HTTPServer + WebSocket.accept, then the
// receiveFrame/sendFrame loop of examples/echo-server.ts (the JS handler runs for every frame and
// echoes it with its flags; CLOSE is echoed, then the socket is closed).
// PORT (0 = any); prints {"ready":true,"server":"poco-frame","port":P,"pid":N} once listening.
// Runtime options of the addon (e.g. POCO_WS_THREADS) come through the environment unchanged.
'use strict'
const {
  FrameOpcodes, HTTPServer, HTTPServerParams, HTTPStatus, WebSocket, WebSocketException,
} = require('../../dist/index.js')

const CLOSE = FrameOpcodes.FRAME_OP_CLOSE
const OPCODE = FrameOpcodes.FRAME_OP_BITMASK

class EchoHandler {
  async handleRequest(request, response) {
    let ws
    try {
      ws = await WebSocket.accept(request, response)
    } catch (error) {
      if (!(error instanceof WebSocketException)) throw error
      response.setStatusAndReason(HTTPStatus.HTTP_BAD_REQUEST)
      response.setContentLength(0)
      response.send()
      return
    }
    try {
      for (;;) {
        const { n, flags, payload } = await ws.receiveFrame()
        if (n === 0 && flags === 0) break // the peer closed TCP
        await ws.sendFrame(payload, flags)
        if ((flags & OPCODE) === CLOSE) break
      }
    } catch {
      // the peer went away (reset) or the connection failed: nothing to report in a benchmark
    } finally {
      ws.close()
    }
  }
}

async function main() {
  const params = new HTTPServerParams()
  params.setMaxQueued(16384) // bursts of handshakes (idle and handshake benchmarks)
  const server = new HTTPServer({ createRequestHandler: () => new EchoHandler() }, `127.0.0.1:${Number(process.env.PORT || 0)}`, params)
  server.onError = () => {}
  await server.start()
  console.log(JSON.stringify({ ready: true, server: 'poco-frame', port: server.port(), pid: process.pid }))
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))
main().catch((error) => {
  console.error(`poco-frame: ${error && error.stack ? error.stack : error}`)
  process.exit(1)
})

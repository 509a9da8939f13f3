// Quick start, JavaScript as CommonJS (require): an echo server and a client in one process.
const {
  FrameOpcodes, HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, HTTPServer, SendFlags, WebSocket,
} = require('poco-websocket')

async function main() {
  const server = new HTTPServer({
    createRequestHandler: () => ({
      async handleRequest(request, response) {
        const ws = await WebSocket.accept(request, response)
        for (;;) {
          const { flags, payload, eof } = await ws.receiveFrame()
          if (eof) break // the client closed TCP
          await ws.sendFrame(payload, flags) // echo, flags included (a CLOSE answers the close handshake)
          if ((flags & FrameOpcodes.FRAME_OP_BITMASK) === FrameOpcodes.FRAME_OP_CLOSE) break
        }
        ws.close()
      },
    }),
  }, '127.0.0.1:0')
  await server.start()

  const session = new HTTPClientSession('127.0.0.1', server.port())
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  const ws = await WebSocket.connect(session, request, new HTTPResponse())
  await ws.sendFrame('Hello', SendFlags.FRAME_TEXT)
  const { payload } = await ws.receiveFrame()
  console.log(`echo: ${payload.toString()}`)
  await ws.shutdown() // CLOSE 1000
  await ws.receiveFrame() // the server's CLOSE
  ws.close()
  await server.stop()
}

main()

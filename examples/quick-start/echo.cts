// Quick start, TypeScript as CommonJS: an echo server and a client in one process.
import {
  FrameOpcodes, HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, HTTPServer, SendFlags, WebSocket,
  type HTTPRequestHandler, type HTTPServerRequest, type HTTPServerResponse,
} from 'poco-websocket'

class EchoHandler implements HTTPRequestHandler {
  async handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    const ws = await WebSocket.accept(request, response)
    for (;;) {
      const { flags, payload, eof } = await ws.receiveFrame()
      if (eof) break // the client closed TCP
      await ws.sendFrame(payload, flags) // echo, flags included (a CLOSE answers the close handshake)
      if ((flags & FrameOpcodes.FRAME_OP_BITMASK) === FrameOpcodes.FRAME_OP_CLOSE) break
    }
    ws.close()
  }
}

async function main(): Promise<void> {
  const server = new HTTPServer({ createRequestHandler: () => new EchoHandler() }, '127.0.0.1:0')
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

void main()

// The echo server of `npm start`: every frame a client sends comes back with the same flags.
// PORT (default 9980) and HOST (default 127.0.0.1) choose where it listens.
import {
  FrameOpcodes,
  HTTPServer,
  HTTPServerRequest,
  HTTPServerResponse,
  HTTPStatus,
  WebSocket,
  WebSocketException,
  type HTTPRequestHandler,
} from '../index'

class EchoHandler implements HTTPRequestHandler {
  async handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    let ws: WebSocket
    try {
      ws = await WebSocket.accept(request, response)
    } catch (error) {
      if (!(error instanceof WebSocketException)) throw error
      // Not a WebSocket upgrade: explain where the WebSocket is, as plain text.
      response.setStatusAndReason(request.has('Upgrade') ? HTTPStatus.HTTP_BAD_REQUEST : HTTPStatus.HTTP_OK)
      if (error.code === 3) response.set('Sec-WebSocket-Version', WebSocket.WEBSOCKET_VERSION)
      response.setContentType('text/plain')
      response.send(`poco-websocket echo server: connect a WebSocket client to ws://${request.getHost()}/\n`)
      return
    }
    for (;;) {
      const { flags, payload, eof } = await ws.receiveFrame()
      if (eof) break // the peer closed TCP
      await ws.sendFrame(payload, flags)
      if ((flags & FrameOpcodes.FRAME_OP_BITMASK) === FrameOpcodes.FRAME_OP_CLOSE) break
    }
    ws.close()
  }
}

async function main(): Promise<void> {
  const host = process.env.HOST ?? '127.0.0.1'
  const port = Number(process.env.PORT ?? 9980)
  const server = new HTTPServer({ createRequestHandler: () => new EchoHandler() }, `${host}:${port}`)
  await server.start()
  console.log(`echo server listening on ws://${host}:${server.port()}/`)
  const stop = (): void => void server.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

void main()

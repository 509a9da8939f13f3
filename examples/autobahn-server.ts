// The Autobahn|Testsuite echo server (`wstest -m fuzzingclient` connects to it; see
// scripts/autobahn/run.mjs). Only the public API, default strict options, the frame-level echo
// loop of autobahn-echo.ts.
// Usage: node dist/examples/autobahn-server.js [port] [host]   (or PORT / HOST; port 0 = a free one)
// Prints "autobahn echo server listening on ws://host:port/" once it listens.
import {
  HTTPServer,
  HTTPServerRequest,
  HTTPServerResponse,
  HTTPStatus,
  WebSocket,
  WebSocketException,
  type HTTPRequestHandler,
} from '../index'
import { echo } from './autobahn-echo'

class AutobahnHandler implements HTTPRequestHandler {
  async handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    let ws: WebSocket
    try {
      ws = await WebSocket.accept(request, response)
    } catch (error) {
      if (!(error instanceof WebSocketException)) throw error
      if (error.code === 3) response.set('Sec-WebSocket-Version', WebSocket.WEBSOCKET_VERSION)
      response.setStatusAndReason(HTTPStatus.HTTP_BAD_REQUEST)
      response.setContentLength(0)
      response.send()
      return
    }
    await echo(ws, `${request.getURI()}`)
  }
}

async function main(): Promise<void> {
  const host = process.argv[3] ?? process.env.HOST ?? '127.0.0.1'
  const port = Number(process.argv[2] ?? process.env.PORT ?? 9001)
  const server = new HTTPServer({ createRequestHandler: () => new AutobahnHandler() }, `${host}:${port}`)
  await server.start()
  console.log(`autobahn echo server listening on ws://${host}:${server.port()}/`)
  const stop = (): void => void server.stop().then(() => process.exit(0))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})

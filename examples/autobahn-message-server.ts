// The Autobahn|Testsuite echo server of the message API (`wstest -m fuzzingclient` connects to
// it; see scripts/autobahn/run.mjs): a WebSocketServer with default options (strict) plus
// permessage-deflate (cases 12.* and 13.* negotiate every parameter combination) that sends
// every message back as it came, text as text and binary as binary. The runtime joins fragments,
// answers PINGs and the peer's CLOSE, and fails the connection on a protocol violation.
// Usage: node dist/examples/autobahn-message-server.js [port] [host]   (or PORT / HOST; port 0 = a free one)
// Prints "autobahn message echo server listening on ws://host:port/" once it listens.
import { WebSocketServer, type HTTPServerRequest, type MessageWebSocket } from '../index'

const verbose = process.env.AUTOBAHN_VERBOSE === '1'
const host = process.argv[3] ?? process.env.HOST ?? '127.0.0.1'
const port = Number(process.argv[2] ?? process.env.PORT ?? 9001)
let listening = false

const server = new WebSocketServer({ port, host, perMessageDeflate: true })
server.on('connection', (ws: MessageWebSocket, request: HTTPServerRequest) => {
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }))
  if (verbose) ws.on('error', (error: unknown) => console.error(`${request.getURI()}: ${describe(error)}`))
})
server.on('listening', () => {
  listening = true
  console.log(`autobahn message echo server listening on ws://${host}:${server.address().port}/`)
})
server.on('error', (error: unknown) => {
  console.error(describe(error))
  if (!listening) process.exit(1) // could not listen: the runner must not wait for us
})

const stop = (): void => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

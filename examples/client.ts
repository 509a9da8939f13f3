// Sends one text frame to a WebSocket server and prints what comes back.
// Usage: node dist/examples/client.js [host] [port] [message]
import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, SendFlags, WebSocket } from '../index'

async function main(): Promise<void> {
  const [host = '127.0.0.1', port = '9980', message = 'Hello, Poco!'] = process.argv.slice(2)
  const session = new HTTPClientSession(host, Number(port))
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  const response = new HTTPResponse()
  const ws = await WebSocket.connect(session, request, response)
  console.log(`connected: ${response.getStatus()} ${response.getReason()}`)

  await ws.sendFrame(message, SendFlags.FRAME_TEXT)
  const { flags, payload } = await ws.receiveFrame()
  console.log(`received (flags 0x${flags.toString(16)}): ${payload.toString()}`)

  await ws.shutdown()
  const close = await ws.receiveFrame()
  console.log(`close frame (flags 0x${close.flags.toString(16)}), status ${close.payload.readUInt16BE(0)}`)
  ws.close()
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
})

// The browser chat demo of `npm start`: one Poco HTTPServer serves the page (GET /, examples/chat.html)
// and its WebSocket endpoint (/chat), plus a message echo at / for WebSocket clients
// (`node dist/examples/client.js 127.0.0.1 9980 Hello`). PORT (default 9980; 0 picks a free port)
// and HOST (default 127.0.0.1) choose where it listens.
//
// Chat protocol: the page connects to /chat?name=<name> and sends its chat lines as text; the
// server sends JSON text messages ({ type: 'welcome' | 'join' | 'leave' | 'message' | 'error', … }).
// A binary message is sent back to its sender only. `/kick <name>` closes that user's connection
// with code 4001, so the close code reaches their page.
import { readFileSync } from 'node:fs'
import * as path from 'node:path'

import {
  HTTPServer,
  HTTPServerRequest,
  HTTPServerResponse,
  HTTPStatus,
  MessageWebSocket,
  WebSocket,
  WebSocketException,
  type HTTPRequestHandler,
} from '../index'

/** dist/examples/chat-server.js → examples/chat.html: the page is served as it is in the repository. */
const PAGE = readFileSync(path.join(__dirname, '..', '..', 'examples', 'chat.html'))
const MAX_NAME = 32

/** The people in the chat room, by their (unique) names. */
const members = new Map<string, MessageWebSocket>()

function broadcast(event: object): void {
  const text = JSON.stringify(event)
  for (const ws of members.values()) if (ws.readyState === MessageWebSocket.OPEN) ws.send(text)
}

/** A unique name for `wanted`: trimmed, at most 32 characters, "-2", "-3", … when taken. */
function uniqueName(wanted: string): string {
  const base = wanted.trim().slice(0, MAX_NAME) || 'anonymous'
  let name = base
  for (let n = 2; members.has(name); n++) name = `${base}-${n}`
  return name
}

function join(ws: MessageWebSocket, wanted: string): void {
  const name = uniqueName(wanted)
  ws.send(JSON.stringify({ type: 'welcome', name, users: [...members.keys()] }))
  members.set(name, ws)
  broadcast({ type: 'join', name })
  console.log(`${name} joined`)

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      ws.send(data, { binary: true }) // binary: straight back to the sender
      return
    }
    const text = data.toString()
    const kick = /^\/kick\s+(.+)$/.exec(text)
    if (kick) {
      const target = members.get(kick[1].trim())
      if (!target) ws.send(JSON.stringify({ type: 'error', text: `no one called ${kick[1].trim()} here` }))
      else target.close(4001, `kicked by ${name}`)
      return
    }
    if (text.startsWith('/')) {
      ws.send(JSON.stringify({ type: 'error', text: `unknown command ${text.split(/\s/)[0]} (try /kick <name>)` }))
      return
    }
    broadcast({ type: 'message', from: name, text })
  })
  ws.on('close', (code: number, reason: Buffer) => {
    members.delete(name)
    broadcast({ type: 'leave', name, code, reason: reason.toString() })
    console.log(`${name} left: ${code} ${reason.toString()}`.trimEnd())
  })
  ws.on('error', (error: unknown) => console.error(`${name}: ${error instanceof Error ? error.message : String(error)}`))
}

class ChatHandler implements HTTPRequestHandler {
  async handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    const uri = request.getURI()
    // Origin-form ("/chat?name=x") as a path on this host; "//x" stays a path, not a host.
    const url = uri.startsWith('/') ? new URL(`http://localhost${uri}`) : new URL(uri, 'http://localhost')
    if (request.has('Upgrade')) {
      if (url.pathname !== '/chat' && url.pathname !== '/') return answer(response, HTTPStatus.HTTP_NOT_FOUND, 'No WebSocket here: try /chat or /\n')
      let socket: WebSocket
      try {
        socket = await WebSocket.accept(request, response)
      } catch (error) {
        if (!(error instanceof WebSocketException)) throw error
        if (error.code === 3) response.set('Sec-WebSocket-Version', WebSocket.WEBSOCKET_VERSION)
        return answer(response, HTTPStatus.HTTP_BAD_REQUEST, `${error.message}\n`)
      }
      // From here on the runtime reassembles messages and answers PINGs and the close handshake.
      const ws = MessageWebSocket.from(socket)
      if (url.pathname === '/chat') join(ws, url.searchParams.get('name') ?? '')
      else ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }))
      return
    }
    if (request.getMethod() !== 'GET') {
      return answer(response, HTTPStatus.HTTP_METHOD_NOT_ALLOWED, 'Only GET here\n')
    }
    if (url.pathname !== '/') return answer(response, HTTPStatus.HTTP_NOT_FOUND, 'Not found\n')
    response.setContentType('text/html; charset=utf-8')
    response.set('Cache-Control', 'no-store')
    response.send(PAGE)
  }
}

function answer(response: HTTPServerResponse, status: HTTPStatus, text: string): void {
  response.setStatusAndReason(status)
  response.setContentType('text/plain; charset=utf-8')
  response.send(text)
}

async function main(): Promise<void> {
  const host = process.env.HOST ?? '127.0.0.1'
  const port = Number(process.env.PORT ?? 9980)
  const server = new HTTPServer({ createRequestHandler: () => new ChatHandler() }, host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)
  await server.start()
  const shown = host.includes(':') ? `[${host}]` : host
  console.log(`chat demo: open http://${shown}:${server.port()}/ (WebSocket: ws://${shown}:${server.port()}/chat, echo: ws://${shown}:${server.port()}/)`)
  const stop = (): void => {
    for (const ws of members.values()) ws.close(1001, 'server shutting down')
    void server.stop().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(`chat demo: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
})

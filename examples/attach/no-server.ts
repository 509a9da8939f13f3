// ws's "multiple servers sharing a single HTTP server": two noServer WebSocketServers, routed by
// path in the http server's 'upgrade' handler. Run: node dist/examples/attach/no-server.js.
import { createServer } from 'node:http'

import { WebSocketServer, type MessageWebSocket } from '../../index'

const chat = new WebSocketServer({ noServer: true })
const feed = new WebSocketServer({ noServer: true })
chat.on('connection', (ws: MessageWebSocket) => ws.on('message', (data) => ws.send(data)))
feed.on('connection', (ws: MessageWebSocket) => ws.send(JSON.stringify({ time: Date.now() })))

const server = createServer((_req, res) => res.end('plain HTTP\n'))
server.on('upgrade', (request, socket, head) => {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost')
  const wss = pathname === '/chat' ? chat : pathname === '/feed' ? feed : undefined
  if (!wss) return socket.destroy()
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
})
server.listen(Number(process.env.PORT ?? 3002), '127.0.0.1')

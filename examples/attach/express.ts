// ws's "external HTTP server" pattern with Express: the routes and the WebSocket endpoint share
// one port. Run: node dist/examples/attach/express.js, then open ws://127.0.0.1:3000/ws.
import express from 'express'

import { WebSocketServer, type MessageWebSocket } from '../../index'

const app = express()
app.get('/', (_req, res) => res.send('HTTP and WebSocket on one port'))
const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')

const wss = new WebSocketServer({ server, path: '/ws' })
wss.on('connection', (ws: MessageWebSocket, req) => {
  ws.send(`hello ${'socket' in req ? req.socket.remoteAddress : ''}`)
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
})

// A WebSocketServer on Fastify's own server (`fastify.server`).
// Run: node dist/examples/attach/fastify.js, then open ws://127.0.0.1:3001/.
import Fastify from 'fastify'

import { WebSocketServer, type MessageWebSocket } from '../../index'

const fastify = Fastify()
fastify.get('/', async () => 'HTTP and WebSocket on one port')

const wss = new WebSocketServer({ server: fastify.server })
wss.on('connection', (ws: MessageWebSocket) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))

void fastify.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' })

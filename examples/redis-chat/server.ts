// A chat room over several server processes joined by Redis: every line a client sends goes to
// every client of every process. Run one redis-server and two processes (see README, "Several
// processes and machines: Redis"):
//
//   redis-server --port 6379 --save '' &
//   PORT=3101 node dist/examples/redis-chat/server.js &
//   PORT=3102 node dist/examples/redis-chat/server.js &
//
// then connect to ws://127.0.0.1:3101/ and ws://127.0.0.1:3102/ (e.g. `npx wscat -c …`).
// REDIS_URL chooses the Redis (default redis://127.0.0.1:6379).
import { WebSocketServer, type MessageWebSocket } from '../../index'

const port = Number(process.env.PORT ?? 3101)
const wss = new WebSocketServer({ host: '127.0.0.1', port, redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })

wss.on('connection', (ws: MessageWebSocket) => {
  ws.subscribe('chat')
  ws.send(`welcome to the room (server on port ${port})`)
  // Everyone but the sender, on this process and the others.
  ws.on('message', (data) => ws.publish('chat', `${port}: ${String(data)}`))
})
// Redis down is not fatal: this process's own clients still chat, and the adapter reconnects.
wss.on('redis', (state, cause) => console.log(`redis ${state}${cause ? `: ${cause.message}` : ''}`))
wss.on('listening', () => console.log(`chat on ws://127.0.0.1:${port}/`))
process.on('SIGINT', () => wss.close(() => process.exit(0)))

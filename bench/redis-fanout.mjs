// Pub/sub across two server processes on one machine: node A publishes, node B's subscribers
// receive. Measures deliveries per second (A publishing as fast as it can) and the latency from
// publish to receive at a fixed rate (p50, p99), for two transports between the nodes:
//
//   redis  the Redis adapter (`redis` option): A → redis-server → B's core, no JS on B
//   ipc    a trivial local alternative: A writes each message to a Unix socket to B, whose JS
//          calls wss.publish (length-prefixed frames, no Redis)
//
// Needs dist/ and native/ built (`npm run build`) and redis-server on PATH for `redis`. Not part
// of `npm test`. Usage:
//   node bench/redis-fanout.mjs [--transport redis|ipc|both] [--messages 50000] [--subscribers 2]
//                               [--size 64] [--rate 5000] [--latency-messages 10000]
import { fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Wall-clock milliseconds with sub-millisecond steps, comparable across processes. */
const now = () => performance.timeOrigin + performance.now()

if (process.argv[2] === '--node') runNode()
else await main()

// ---- a server process ----

function runNode() {
  const { WebSocketServer } = require(join(root, 'dist', 'index.js'))
  const { TRANSPORT, REDIS_URL, SOCKET, ROLE } = process.env
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, redis: TRANSPORT === 'redis' ? REDIS_URL : undefined })
  wss.on('connection', (ws) => {
    ws.subscribe('room')
    ws.send('ready')
  })
  wss.on('redis', (state) => state === 'up' && process.send({ up: true }))
  wss.on('listening', () => process.send({ port: wss.address().port }))
  let peer = null
  if (TRANSPORT === 'ipc') {
    if (ROLE === 'receiver') {
      createServer((socket) => readFrames(socket, (payload) => wss.publish('room', payload, { binary: false }))).listen(SOCKET, () => process.send({ up: true }))
    } else {
      peer = createConnection(SOCKET, () => process.send({ up: true }))
    }
  }
  const publish = (text) => {
    wss.publish('room', text)
    if (peer) {
      const body = Buffer.from(text)
      const header = Buffer.allocUnsafe(4)
      header.writeUInt32BE(body.length)
      peer.write(header)
      peer.write(body)
    }
  }
  const message = (size) => now().toFixed(3).padEnd(size, 'x')
  process.on('message', (command) => {
    if (command.burst) {
      let left = command.burst
      const step = () => {
        for (let i = 0; i < 500 && left > 0; i++, left--) publish(message(command.size))
        if (left > 0) setImmediate(step)
        else process.send({ published: true })
      }
      step()
    } else if (command.paced) {
      let left = command.paced
      const perTick = Math.max(1, Math.round(command.rate / 1000))
      const timer = setInterval(() => {
        for (let i = 0; i < perTick && left > 0; i++, left--) publish(message(command.size))
        if (left === 0) {
          clearInterval(timer)
          process.send({ published: true })
        }
      }, 1)
    } else if (command.stats) {
      process.send({ stats: wss.redisStats })
    } else if (command.exit) {
      process.exit(0)
    }
  })
}

/** Calls `onFrame` with each length-prefixed frame read from `socket`. */
function readFrames(socket, onFrame) {
  let pending = Buffer.alloc(0)
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk
    let offset = 0
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32BE(offset)
      if (pending.length - offset - 4 < length) break
      onFrame(pending.subarray(offset + 4, offset + 4 + length))
      offset += 4 + length
    }
    pending = pending.subarray(offset)
  })
}

// ---- the orchestrator ----

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  return index >= 0 ? process.argv[index + 1] : fallback
}

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => resolve(socket.destroy() || true))
      socket.on('error', () => resolve(false))
    })
    if (up) return { child, url: `redis://127.0.0.1:${port}` }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error('redis-server did not start')
}

function node(env) {
  const child = fork(fileURLToPath(import.meta.url), ['--node'], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const next = (key) => new Promise((resolve) => {
    const listener = (message) => {
      if (key in message) {
        child.off('message', listener)
        resolve(message[key])
      }
    }
    child.on('message', listener)
  })
  return { child, next, port: next('port'), up: next('up') }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function measure(transport, settings) {
  const { messages, subscribers, size, rate, latencyMessages } = settings
  const cleanup = []
  try {
    const env = { TRANSPORT: transport }
    if (transport === 'redis') {
      const redis = await startRedis()
      cleanup.push(() => redis.child.kill('SIGKILL'))
      env.REDIS_URL = redis.url
    } else {
      env.SOCKET = join(tmpdir(), `poco-ws-fanout-${process.pid}.sock`)
      rmSync(env.SOCKET, { force: true })
      cleanup.push(() => rmSync(env.SOCKET, { force: true }))
    }
    const receiver = node({ ...env, ROLE: 'receiver' })
    cleanup.push(() => receiver.child.kill('SIGKILL'))
    await receiver.up
    const publisher = node({ ...env, ROLE: 'publisher' })
    cleanup.push(() => publisher.child.kill('SIGKILL'))
    await publisher.up
    const WS = require(join(root, 'node_modules', 'ws'))
    const port = await receiver.port
    let received = 0
    let last = 0
    let latencies = null
    for (let i = 0; i < subscribers; i++) {
      const ws = new WS(`ws://127.0.0.1:${port}/`)
      cleanup.push(() => ws.terminate())
      await once(ws, 'message')
      ws.on('message', (data) => {
        received++
        last = now()
        if (latencies) latencies.push(last - parseFloat(data.toString('latin1', 0, 20)))
      })
    }

    // Throughput: A publishes `messages` as fast as it can.
    const start = now()
    publisher.child.send({ burst: messages, size })
    const expected = messages * subscribers
    for (let idle = 0; received < expected && idle < 30; ) {
      const before = received
      await new Promise((resolve) => setTimeout(resolve, 100))
      idle = received === before ? idle + 1 : 0
    }
    const throughput = { deliveries: received, perSecond: Math.round(received / ((last - start) / 1000)), missed: expected - received }

    // Latency at a fixed rate.
    received = 0
    latencies = []
    publisher.child.send({ paced: latencyMessages, rate, size })
    const expectedPaced = latencyMessages * subscribers
    for (let idle = 0; received < expectedPaced && idle < 30; ) {
      const before = received
      await new Promise((resolve) => setTimeout(resolve, 100))
      idle = received === before ? idle + 1 : 0
    }
    latencies.sort((a, b) => a - b)
    const latency = { rate, p50: +percentile(latencies, 50).toFixed(3), p99: +percentile(latencies, 99).toFixed(3), missed: expectedPaced - latencies.length }
    let stats = null
    if (transport === 'redis') {
      publisher.child.send({ stats: true })
      stats = await publisher.next('stats')
    }
    return { transport, subscribers, size, throughput, latency, ...(stats ? { publisherStats: stats } : {}) }
  } finally {
    for (const step of cleanup.reverse()) step()
  }
}

async function main() {
  const settings = {
    messages: Number(option('messages', 50000)),
    subscribers: Number(option('subscribers', 2)),
    size: Number(option('size', 64)),
    rate: Number(option('rate', 5000)),
    latencyMessages: Number(option('latency-messages', 10000)),
  }
  const which = option('transport', 'both')
  for (const transport of which === 'both' ? ['redis', 'ipc'] : [which]) {
    console.log(JSON.stringify(await measure(transport, settings)))
  }
}

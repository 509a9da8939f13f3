// The Redis adapter (`redis` option) across two server processes (fixtures/redis-node.ts) and a
// real redis-server (./redis.ts): a publish on one node reaches the other node's subscribers
// and the publisher's own once; Redis down at start and killed mid-stream gives 'down' then
// 'up' events, local delivery going on and remote delivery resuming; hostile publishes throw;
// garbage published on a channel is ignored and counted; close lets the process exit.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import * as path from 'node:path'

import test, { type ExecutionContext } from 'ava'
import WS from 'ws'

import { InvalidArgumentException, MAX_REDIS_PAYLOAD, WebSocketServer, type MessageWebSocket } from '../index'
import type { NodeCommand, NodeReport } from './fixtures/redis-node'
import { redisInstalled, redisServer, type RunningRedis } from './redis'

const NODE = path.join(__dirname, 'fixtures', 'redis-node.js')
const run = redisInstalled ? test.serial : test.skip
if (!redisInstalled) console.log('redis.test: skipped, redis-server is not installed')

type Kind = 'listening' | 'redis' | 'published' | 'stats'
type Report<K extends Kind> = Extract<NodeReport, Record<K, unknown>>

/** A server process and its reports, taken in order per kind. */
class Node {
  private readonly reports = new Map<Kind, NodeReport[]>()
  private readonly waiting = new Map<Kind, () => void>()

  private constructor(readonly child: ChildProcess) {
    child.on('message', (report: NodeReport) => {
      const kind = Object.keys(report)[0] as Kind
      const queue = this.reports.get(kind) ?? []
      queue.push(report)
      this.reports.set(kind, queue)
      this.waiting.get(kind)?.()
    })
  }

  static start(t: ExecutionContext, redis: RunningRedis): Node {
    const child = fork(NODE, [redis.url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    t.teardown(() => void child.kill('SIGKILL'))
    return new Node(child)
  }

  async next<K extends Kind>(kind: K): Promise<Report<K>> {
    for (;;) {
      const report = this.reports.get(kind)?.shift()
      if (report) return report as Report<K>
      await new Promise<void>((resolve) => this.waiting.set(kind, resolve))
    }
  }

  send(command: NodeCommand): void {
    this.child.send(command)
  }

  async publish(text: string): Promise<boolean> {
    this.send({ publish: text })
    return (await this.next('published')).published
  }

  async stats(): Promise<NonNullable<Report<'stats'>['stats']>> {
    this.send({ stats: true })
    return (await this.next('stats')).stats!
  }
}

/** A ws client of `node`, subscribed to "room"; what it receives after that, in order. */
async function subscriber(t: ExecutionContext, node: Node): Promise<{ ws: WS; messages: string[] }> {
  const port = (await node.next('listening')).listening
  const ws = new WS(`ws://127.0.0.1:${port}/`)
  t.teardown(() => ws.terminate())
  const messages: string[] = []
  const [first] = (await once(ws, 'message')) as [Buffer]
  t.is(first.toString(), 'subscribed')
  ws.on('message', (data: Buffer) => messages.push(data.toString()))
  return { ws, messages }
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function redisUp(t: ExecutionContext): Promise<RunningRedis> {
  const redis = await redisServer()
  t.teardown(() => redis.kill())
  await redis.start()
  return redis
}

run('a publish reaches the other process and the own subscribers once; close lets the process exit', async (t) => {
  const redis = await redisUp(t)
  const [a, b] = [Node.start(t, redis), Node.start(t, redis)]
  t.is((await a.next('redis')).redis, 'up')
  t.is((await b.next('redis')).redis, 'up')
  const [onA, onB] = [await subscriber(t, a), await subscriber(t, b)]
  t.true(await a.publish('from a'))
  t.true(await b.publish('from b'))
  // ws.publish: every subscriber but the sender, on both nodes.
  onB.ws.send('from a client of b')
  await until(() => onA.messages.length === 3 && onB.messages.length === 2, 'the publishes')
  t.true(await b.publish('last'))
  await until(() => onA.messages.includes('last') && onB.messages.includes('last'), 'the last publish')
  t.deepEqual(onA.messages.sort(), ['from a', 'from a client of b', 'from b', 'last'])
  t.deepEqual(onB.messages.sort(), ['from a', 'from b', 'last'])
  const [statsA, statsB] = [await a.stats(), await b.stats()]
  t.not(statsA.nodeId, statsB.nodeId)
  t.like(statsA, { sent: 1, received: 3, lost: 0, malformed: 0 })

  a.send({ close: true })
  const [code] = (await once(a.child, 'exit')) as [number]
  t.is(code, 0, 'no handle left behind')
})

run('Redis down at start and killed mid-stream: down, then up; local delivery goes on', async (t) => {
  const redis = await redisServer()
  t.teardown(() => redis.kill())
  const [a, b] = [Node.start(t, redis), Node.start(t, redis)]
  const down = await a.next('redis')
  t.is(down.redis, 'down')
  t.truthy(down.cause)
  t.is((await b.next('redis')).redis, 'down')
  const [onA, onB] = [await subscriber(t, a), await subscriber(t, b)]
  t.true(await a.publish('before Redis'), 'local delivery without Redis')
  await until(() => onA.messages.length === 1, 'the local publish')

  await redis.start()
  t.is((await a.next('redis')).redis, 'up')
  t.is((await b.next('redis')).redis, 'up')
  await a.publish('with Redis')
  await until(() => onB.messages.includes('with Redis'), 'the remote publish')

  await redis.kill()
  t.is((await a.next('redis')).redis, 'down')
  t.is((await b.next('redis')).redis, 'down')
  t.true(await a.publish('during the outage'))
  await until(() => onA.messages.includes('during the outage'), 'the local publish during the outage')
  // Dropped by the adapter while it waits to reconnect.
  let lost = 0
  for (let tries = 0; lost < 2 && tries < 100; tries++) lost = (await a.stats()).lost
  t.is(lost, 2, 'the publishes made while Redis was down are counted as lost')

  await redis.start()
  t.is((await a.next('redis')).redis, 'up')
  t.is((await b.next('redis')).redis, 'up')
  await a.publish('after the outage')
  await until(() => onB.messages.includes('after the outage') && onA.messages.includes('after the outage'), 'delivery after the restart')
  t.deepEqual(onB.messages, ['with Redis', 'after the outage'])
  t.deepEqual(onA.messages, ['before Redis', 'with Redis', 'during the outage', 'after the outage'])
})

run('hostile publishes throw; garbage from another Redis client is ignored and counted', async (t) => {
  const redis = await redisUp(t)
  t.throws(() => new WebSocketServer({ port: 0, redis: 'http://not-redis' }), { instanceOf: InvalidArgumentException, message: /Redis URL/ })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, redis: { url: redis.url, prefix: 'test:' } })
  t.teardown(() => wss.close())
  const listening = once(wss, 'listening')
  const [state] = (await once(wss, 'redis')) as [string]
  t.is(state, 'up')
  const sockets: MessageWebSocket[] = []
  wss.on('connection', (ws: MessageWebSocket) => {
    ws.subscribe('room')
    sockets.push(ws)
  })
  await listening
  const client = new WS(`ws://127.0.0.1:${wss.address().port}/`)
  t.teardown(() => client.terminate())
  const messages: string[] = []
  client.on('message', (data: Buffer) => messages.push(data.toString()))
  await until(() => wss.subscriberCount('room') === 1, 'the subscription')

  t.throws(() => wss.publish('', 'x'), { instanceOf: InvalidArgumentException, message: /topic name/ })
  t.throws(() => wss.publish('t'.repeat(1025), 'x'), { instanceOf: InvalidArgumentException, message: /topic name/ })
  const oversized = Buffer.alloc(MAX_REDIS_PAYLOAD + 1)
  t.throws(() => wss.publish('room', oversized), { instanceOf: InvalidArgumentException, message: /at most 1048576 bytes/ })
  t.throws(() => sockets[0].publish('room', oversized), { instanceOf: InvalidArgumentException })

  t.is(redis.cli('PUBLISH', 'test:room', 'garbage').trim(), '1')
  redis.cli('PUBLISH', 'test:', 'no topic')
  await until(() => wss.redisStats!.malformed === 2, 'the garbage counted')
  t.true(wss.publish('room', 'still fine'))
  await until(() => messages.length === 1, 'the valid publish')
  t.deepEqual(messages, ['still fine'], 'the garbage reached no subscriber')
  t.like(wss.redisStats, { received: 0, malformed: 2 })
})

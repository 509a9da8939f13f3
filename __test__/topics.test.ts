// Pub/sub topics on the message API (uWS's and Bun's names): ws.subscribe/unsubscribe/
// isSubscribed/getTopics/publish and wss.publish/subscriberCount, with ws clients as peers: who
// gets a publish, the sender left out, order against send() and close() (publishes are batched
// until the sends after them), unsubscribe on close, bad topics.
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import WS from 'ws'

import { InvalidArgumentException, MessageWebSocket, WebSocketServer } from '../index'

/** A server whose sockets subscribe to the topics named in their URL's query (`?t=a,b`). */
async function topicServer(): Promise<{ wss: WebSocketServer; url: string; sockets: MessageWebSocket[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1' })
  const sockets: MessageWebSocket[] = []
  wss.on('connection', (ws: MessageWebSocket, req: { getURI(): string }) => {
    sockets.push(ws)
    const topics = new URL(req.getURI(), 'http://x').searchParams.get('t')
    for (const topic of topics ? topics.split(',') : []) ws.subscribe(topic)
    ws.send('ready')
  })
  await once(wss, 'listening')
  return { wss, url: `ws://127.0.0.1:${wss.address().port}/`, sockets }
}

async function client(url: string): Promise<{ ws: WS; messages: string[] }> {
  const ws = new WS(url)
  const messages: string[] = []
  ws.on('message', (data: Buffer) => messages.push(data.toString()))
  await new Promise<void>((resolve) => ws.once('message', () => resolve()))
  return { ws, messages }
}

const settle = (ms = 100): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

test('wss.publish reaches the subscribers of the topic only; subscriberCount', async (t) => {
  const { wss, url } = await topicServer()
  const a = await client(`${url}?t=news,sport`)
  const b = await client(`${url}?t=news`)
  const c = await client(`${url}?t=other`)
  t.is(wss.subscriberCount('news'), 2)
  t.is(wss.subscriberCount('sport'), 1)
  t.true(wss.publish('news', 'headline'))
  t.true(wss.publish('sport', Buffer.from('goal')))
  t.false(wss.publish('nobody', 'x'))
  await settle()
  t.deepEqual(a.messages, ['ready', 'headline', 'goal'])
  t.deepEqual(b.messages, ['ready', 'headline'])
  t.deepEqual(c.messages, ['ready'])
  for (const { ws } of [a, b, c]) ws.close()
  wss.close()
})

test('ws.publish leaves the sender out; binary option; topics of a socket', async (t) => {
  const { wss, url, sockets } = await topicServer()
  const a = await client(`${url}?t=room`)
  const b = await client(`${url}?t=room`)
  const binary = new Promise<boolean>((resolve) => b.ws.once('message', (_data: Buffer, isBinary: boolean) => resolve(isBinary)))
  t.true(sockets[0].publish('room', 'from a', { binary: true }))
  t.true(await binary)
  await settle()
  t.deepEqual(a.messages, ['ready'])
  t.deepEqual(b.messages, ['ready', 'from a'])
  t.deepEqual(sockets[0].getTopics(), ['room'])
  t.true(sockets[0].isSubscribed('room'))
  t.true(sockets[0].unsubscribe('room'))
  t.false(sockets[0].unsubscribe('room'))
  t.deepEqual(sockets[0].subscriptions, [])
  for (const { ws } of [a, b]) ws.close()
  wss.close()
})

test('publishes on one topic arrive in order, and after the sends made before them', async (t) => {
  const { wss, url, sockets } = await topicServer()
  const a = await client(`${url}?t=seq`)
  for (let i = 0; i < 200; i++) {
    sockets[0].send(`send${i}`)
    wss.publish('seq', `pub${i}`)
  }
  await settle(300)
  const expected = ['ready', ...Array.from({ length: 200 }, (_, i) => [`send${i}`, `pub${i}`]).flat()]
  t.deepEqual(a.messages, expected)
  a.ws.close()
  wss.close()
})

test('batched publishes keep their place: before the sends and the close made after them, in a handler or not', async (t) => {
  const { wss, url, sockets } = await topicServer()
  const a = await client(`${url}?t=seq`)
  const closed = new Promise<[number, string]>((resolve) => a.ws.once('close', (code, reason) => resolve([code, reason.toString()])))
  // In a message handler (a callback batch): publishes, a send, more publishes, then the close.
  sockets[0].on('message', () => {
    for (let i = 0; i < 50; i++) wss.publish('seq', `pub${i}`)
    sockets[0].send('send')
    wss.publish('seq', 'after the send')
    sockets[0].close(4000, 'last')
  })
  a.ws.send('go')
  const [code, reason] = await closed
  const expected = ['ready', ...Array.from({ length: 50 }, (_, i) => `pub${i}`), 'send', 'after the send']
  t.deepEqual(a.messages, expected)
  t.deepEqual([code, reason], [4000, 'last'])
  wss.close()
})

test('a socket that closes leaves every topic', async (t) => {
  const { wss, url } = await topicServer()
  const a = await client(`${url}?t=x,y`)
  t.is(wss.subscriberCount('x'), 1)
  a.ws.close()
  await once(a.ws, 'close')
  await settle()
  t.is(wss.subscriberCount('x'), 0)
  t.is(wss.subscriberCount('y'), 0)
  wss.close()
})

test('bad topics and client sockets get clear errors', async (t) => {
  const { wss, url, sockets } = await topicServer()
  const a = await client(url)
  t.throws(() => sockets[0].subscribe(''), { instanceOf: InvalidArgumentException })
  t.throws(() => sockets[0].subscribe('x'.repeat(1025)), { instanceOf: InvalidArgumentException, message: /1 to 1024 bytes/ })
  t.throws(() => wss.publish('x'.repeat(1025), 'x'), { instanceOf: InvalidArgumentException })
  const mine = new MessageWebSocket(url)
  await once(mine, 'open')
  t.throws(() => mine.subscribe('x'), { instanceOf: InvalidArgumentException, message: /WebSocketServer/ })
  mine.close()
  a.ws.close()
  wss.close()
})

test('topics on a server attached to a Node http server', async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws: MessageWebSocket) => {
    ws.subscribe('all')
    ws.send('ready')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const a = await client(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  t.true(wss.publish('all', 'hi'))
  await settle()
  t.deepEqual(a.messages, ['ready', 'hi'])
  a.ws.close()
  wss.close()
  server.close()
})

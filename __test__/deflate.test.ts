// permessage-deflate (RFC 7692) on the message API, with ws 8 as the peer both ways. Sections
// covered: §5 negotiation (every window-bits and context-takeover combination a ws client
// offers, and our client's offers against a ws server; a malformed offer answered 400 as ws),
// §7.1 (context takeover over several messages in a row, window bits 8–15), §7.2 (messages
// compressed and inflated, RSV1 on the wire, `send(data, { compress: false })`), the
// decompression bomb of the hostile-input matrix (the size limit applies while inflating: 1009),
// and `extensions` on both ends. The Chromium case is in browser-attach.test.ts.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import * as zlib from 'node:zlib'

import test, { type ExecutionContext } from 'ava'
import WS, { WebSocketServer as WSServer, type PerMessageDeflateOptions as WSDeflateOptions } from 'ws'

import { MessageWebSocket, WebSocketServer, type PerMessageDeflateOptions } from '../index'
import { rawUpgradeWith, readFrames } from './deflate-helpers'

/** Messages that exercise context takeover (repeats) and the threshold (a short one). */
const MESSAGES: Array<string | Buffer> = [
  'a repeated sentence about websockets. '.repeat(60),
  'a repeated sentence about websockets. '.repeat(61),
  'hi',
  Buffer.from('binary '.repeat(20_000)),
  JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) }),
]

async function ourEchoServer(t: ExecutionContext, options: { perMessageDeflate: boolean | PerMessageDeflateOptions; maxPayload?: number }): Promise<{ port: number; server: WebSocketServer; extensions: string[] }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options })
  const extensions: string[] = []
  server.on('connection', (ws: MessageWebSocket) => {
    extensions.push(ws.extensions)
    ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }))
    ws.on('error', () => {})
  })
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: server.address().port, server, extensions }
}

/** Sends every message on `ws` (open) and checks each echo, in order. */
/** What `roundTrips` needs of a ws or a MessageWebSocket. */
interface Peer {
  on(event: 'message', listener: (data: Buffer) => void): unknown
  send(data: string | Buffer): unknown
}

async function roundTrips(t: ExecutionContext, ws: Peer, label: string, messages = MESSAGES): Promise<void> {
  const echoes: Buffer[] = []
  const all = new Promise<void>((resolve) => {
    ws.on('message', (data) => {
      echoes.push(Buffer.from(data))
      if (echoes.length === messages.length) resolve()
    })
  })
  for (const message of messages) ws.send(message)
  await all
  t.deepEqual(echoes.map((echo) => echo.toString()), messages.map(String), label)
}

const windowBits = [undefined, true, 8, 9, 15] as const

/** ws's client options over the combinations ws offers. */
function wsClientOffers(): WSDeflateOptions[] {
  const offers: WSDeflateOptions[] = []
  for (const serverNoContextTakeover of [false, true]) {
    for (const clientNoContextTakeover of [false, true]) {
      for (const serverMaxWindowBits of [undefined, 8, 10, 15]) {
        for (const clientMaxWindowBits of windowBits) {
          offers.push({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits } as WSDeflateOptions)
        }
      }
    }
  }
  return offers
}

test('a ws client with every deflate offer it makes: negotiated, compressed both ways, same extensions on both ends', async (t) => {
  t.timeout(60_000)
  const { port, extensions } = await ourEchoServer(t, { perMessageDeflate: true })
  for (const offer of wsClientOffers()) {
    const ws = new WS(`ws://127.0.0.1:${port}`, { perMessageDeflate: offer })
    await once(ws, 'open')
    const label = JSON.stringify(offer)
    t.is(ws.extensions, 'permessage-deflate', label)
    await roundTrips(t, ws, label)
    t.is(extensions.at(-1), 'permessage-deflate', label)
    ws.close()
    await once(ws, 'close')
  }
})

test('our client with each of its offers against a ws server, and against ws servers that impose limits', async (t) => {
  t.timeout(60_000)
  const servers: Array<WSDeflateOptions | true> = [true, { serverMaxWindowBits: 10, clientMaxWindowBits: 9 }, { serverNoContextTakeover: true, clientNoContextTakeover: true }]
  const offers: PerMessageDeflateOptions[] = [
    {},
    { serverNoContextTakeover: true },
    { clientNoContextTakeover: true },
    { serverMaxWindowBits: 8 },
    { serverMaxWindowBits: 12, clientMaxWindowBits: 11 },
    { clientMaxWindowBits: 15, threshold: 0 },
  ]
  for (const serverOptions of servers) {
    const wss = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: serverOptions })
    await once(wss, 'listening')
    let serverExtensions = ''
    wss.on('connection', (peer, req) => {
      serverExtensions = String(req.headers['sec-websocket-extensions'])
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }))
    })
    for (const offer of offers) {
      const label = `${JSON.stringify(serverOptions)} ← ${JSON.stringify(offer)}`
      const ws = new MessageWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { perMessageDeflate: offer })
      const outcome = await new Promise<string>((resolve) => {
        ws.once('open', () => resolve('open'))
        ws.once('error', (error: Error) => resolve(error.message))
      })
      // ws has no acceptable offer when its own window limit is larger than the one offered: 400.
      if (typeof serverOptions === 'object' && serverOptions.serverMaxWindowBits === 10 && offer.serverMaxWindowBits === 8) {
        t.is(outcome, 'Unexpected server response: 400', label)
        continue
      }
      t.is(outcome, 'open', label)
      t.true(serverExtensions.startsWith('permessage-deflate'), `${label}: offered ${serverExtensions}`)
      t.is(ws.extensions, 'permessage-deflate', label)
      await roundTrips(t, ws, label)
      ws.close()
      await once(ws, 'close')
    }
    await new Promise<void>((resolve) => wss.close(() => resolve()))
  }
})

test('perMessageDeflate is off on a server by default and offered by a client by default, as in ws', async (t) => {
  const { port, extensions } = await ourEchoServer(t, { perMessageDeflate: false })
  const ws = new WS(`ws://127.0.0.1:${port}`, { perMessageDeflate: true })
  await once(ws, 'open')
  t.is(ws.extensions, '')
  await roundTrips(t, ws, 'uncompressed')
  t.deepEqual(extensions, [''])
  ws.close()

  const wss = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true })
  await once(wss, 'listening')
  t.teardown(() => wss.close())
  const offered = new Promise<string>((resolve) => wss.once('connection', (_peer, req) => resolve(String(req.headers['sec-websocket-extensions']))))
  const client = new MessageWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  await once(client, 'open')
  t.is(await offered, 'permessage-deflate; client_max_window_bits')
  t.is(client.extensions, 'permessage-deflate')
  client.close()
})

test('a decompression bomb: 16 MiB of zeros in a small frame fails the connection with 1009 once past maxPayload', async (t) => {
  const { port } = await ourEchoServer(t, { perMessageDeflate: true, maxPayload: 64 * 1024 })
  const ws = new WS(`ws://127.0.0.1:${port}`, { perMessageDeflate: true })
  await once(ws, 'open')
  const bomb = Buffer.alloc(16 << 20)
  t.true(zlib.deflateRawSync(bomb).length < 64 * 1024, 'the compressed form is under maxPayload')
  ws.send(bomb)
  const [code] = (await once(ws, 'close')) as [number]
  t.is(code, 1009)
  // The server still serves.
  const next = new WS(`ws://127.0.0.1:${port}`, { perMessageDeflate: true })
  await once(next, 'open')
  await roundTrips(t, next, 'after the bomb', MESSAGES.slice(0, 3))
  next.close()
})

test('a malformed or unacceptable offer is answered 400 with ws\'s reason; with deflate off it is ignored', async (t) => {
  const { port } = await ourEchoServer(t, { perMessageDeflate: { serverMaxWindowBits: 10 } })
  for (const offer of ['permessage-deflate; server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=12; foo', 'permessage-deflate; server_max_window_bits=9']) {
    const answer = await rawUpgradeWith(port, { 'Sec-WebSocket-Extensions': offer })
    t.regex(answer.head, /^HTTP\/1\.1 400 /, offer)
    t.true(answer.body.includes('Invalid or unacceptable Sec-WebSocket-Extensions header'), offer)
  }
  const off = await ourEchoServer(t, { perMessageDeflate: false })
  const ignored = await rawUpgradeWith(off.port, { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=16' })
  t.regex(ignored.head, /^HTTP\/1\.1 101 /)
  t.false(/sec-websocket-extensions/i.test(ignored.head))
})

test('on the wire: RSV1 on compressed messages, none with { compress: false } or under the threshold without context takeover', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 100 } })
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  server.on('connection', (ws: MessageWebSocket) => {
    ws.send('x'.repeat(1000))
    ws.send('y'.repeat(1000), { compress: false })
    ws.send('short')
  })
  const answer = await rawUpgradeWith(server.address().port, { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover' }, 3)
  t.regex(answer.head, /Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover/)
  const frames = readFrames(answer.rest)
  t.deepEqual(frames.map((frame) => frame.flags), [0xc1, 0x81, 0x81])
  const inflated = zlib.inflateRawSync(Buffer.concat([frames[0].payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  t.is(inflated.toString(), 'x'.repeat(1000))
  t.true(frames[0].payload.length < 100)
  t.is(frames[1].payload.toString(), 'y'.repeat(1000))
  t.is(frames[2].payload.toString(), 'short')
})

test('publish { compress: true }: compressed once for subscribers that reset their context, by its own compressor for a ws subscriber with context takeover, plain without deflate', async (t) => {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true })
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const text = 'a published line of text. '.repeat(100)
  let subscribed = 0
  server.on('connection', (ws: MessageWebSocket) => {
    ws.subscribe('room')
    if (++subscribed === 3) {
      server.publish('room', text, { compress: true })
      server.publish('room', 'after', { compress: true })
    }
  })
  const port = server.address().port
  const ws = new WS(`ws://127.0.0.1:${port}`, { perMessageDeflate: true })
  const wsReceived = new Promise<string[]>((resolve) => {
    const messages: string[] = []
    ws.on('message', (data: Buffer) => messages.push(data.toString()) === 2 && resolve(messages))
  })
  await once(ws, 'open')
  const [resetting, plain] = await Promise.all([
    rawUpgradeWith(port, { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover' }, 2),
    rawUpgradeWith(port, {}, 2),
  ])
  t.deepEqual(await wsReceived, [text, 'after'])
  ws.close()
  const compressed = readFrames(resetting.rest)
  t.deepEqual(compressed.map((frame) => frame.flags), [0xc1, 0x81], "'after' is under the threshold")
  t.true(compressed[0].payload.length < text.length / 10)
  const inflated = zlib.inflateRawSync(Buffer.concat([compressed[0].payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
  t.is(inflated.toString(), text)
  t.deepEqual(readFrames(plain.rest).map((frame) => [frame.flags, frame.payload.toString()]), [[0x81, text], [0x81, 'after']])
})

// The ws-style message API: our WebSocketServer and MessageWebSocket against ws (both ways),
// raw TCP peers, and each other.
import { once } from 'node:events'
import * as net from 'node:net'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

import test from 'ava'
import WS, { WebSocketServer as WSServer } from 'ws'

import { ConnectionRefusedException, InvalidSocketException, MessageWebSocket, WebSocket, WebSocketServer, type WebSocketServerOptions } from '../index'
import { rawExchange, startServer } from './helpers'

/** Our message server on 127.0.0.1 echoing every message, and its URL. */
async function echoServer(options: WebSocketServerOptions = {}): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ host: '127.0.0.1', ...options })
  server.on('connection', (ws: MessageWebSocket) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })))
  await once(server, 'listening')
  return { server, url: `ws://127.0.0.1:${server.address().port}` }
}

async function closeServer(server: WebSocketServer): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

async function opened(url: string, protocols?: string | string[]): Promise<WS> {
  const ws = new WS(url, protocols)
  await once(ws, 'open')
  return ws
}

/** Our server with one ws client connected: the client and the server's socket for it. */
async function connectedPair(): Promise<{ server: WebSocketServer; ws: WS; socket: MessageWebSocket }> {
  const server = new WebSocketServer({ host: '127.0.0.1' })
  await once(server, 'listening')
  const serverSide = once(server, 'connection')
  const ws = await opened(`ws://127.0.0.1:${server.address().port}`)
  const [socket] = (await serverSide) as [MessageWebSocket]
  return { server, ws, socket }
}

/** A raw TCP peer that sends an upgrade request and then does whatever the test makes it do. */
function rawUpgrade(port: number): net.Socket {
  const peer = net.connect(port, '127.0.0.1')
  peer.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
  return peer
}

const nextMessage = async (ws: WS | MessageWebSocket): Promise<[Buffer, boolean]> =>
  (await once(ws as NodeJS.EventEmitter, 'message')) as [Buffer, boolean]

test('a ws client ↔ our WebSocketServer: text and binary echo with isBinary, fragments joined', async (t) => {
  const { server, url } = await echoServer()
  const ws = await opened(url)
  ws.send('hello')
  t.deepEqual(await nextMessage(ws), [Buffer.from('hello'), false])
  ws.send(Buffer.from([0, 1, 2, 255]))
  t.deepEqual(await nextMessage(ws), [Buffer.from([0, 1, 2, 255]), true])
  // ws sends a message in three fragments; the handler sees one message.
  ws.send('frag', { fin: false })
  ws.send('men', { fin: false })
  ws.send('ted', { fin: true })
  t.deepEqual(await nextMessage(ws), [Buffer.from('fragmented'), false])
  const big = Buffer.alloc(3 * 1024 * 1024, 7)
  ws.send(big)
  t.true((await nextMessage(ws))[0].equals(big))
  ws.close()
  await once(ws, 'close')
  await closeServer(server)
})

test('PING is answered by the runtime and reaches the ping event; pong() and ping() reach the peer', async (t) => {
  const { server, ws, socket } = await connectedPair()
  const pingSeen = once(socket, 'ping')
  ws.ping('are you there')
  t.deepEqual(await once(ws, 'pong'), [Buffer.from('are you there')])
  t.deepEqual(await pingSeen, [Buffer.from('are you there')])
  socket.ping('from server')
  t.deepEqual(await once(ws, 'ping'), [Buffer.from('from server')])
  const pongs: string[] = []
  socket.on('pong', (data: Buffer) => pongs.push(data.toString()))
  ws.pong('unsolicited')
  while (pongs.length < 2) await once(socket, 'pong')
  t.deepEqual(pongs, ['from server', 'unsolicited'], 'ws answered our PING, then its own PONG')
  // ws's error and message.
  t.throws(() => socket.ping(Buffer.alloc(126)), { instanceOf: RangeError, message: 'The data size must not be greater than 125 bytes' })
  ws.terminate()
  await closeServer(server)
})

test('close(code, reason) from either side: both see the code and reason, readyState goes to CLOSED', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1' })
  await once(server, 'listening')
  const url = `ws://127.0.0.1:${server.address().port}`
  // The client closes.
  let serverSide = once(server, 'connection')
  let ws = await opened(url)
  let [socket] = (await serverSide) as [MessageWebSocket]
  t.is(socket.readyState, MessageWebSocket.OPEN)
  const serverClosed = once(socket, 'close')
  const wsClosed = once(ws, 'close')
  ws.close(4001, 'client done')
  const [code, reason] = await serverClosed
  t.is(code, 4001)
  t.is((reason as Buffer).toString(), 'client done')
  t.is(socket.readyState, MessageWebSocket.CLOSED)
  t.is((await wsClosed)[0], 4001)
  // The server closes.
  serverSide = once(server, 'connection')
  ws = await opened(url)
  ;[socket] = (await serverSide) as [MessageWebSocket]
  const clientClosed = once(ws, 'close')
  const socketClosed = once(socket, 'close')
  socket.close(4002, 'server done')
  t.is(socket.readyState, MessageWebSocket.CLOSING)
  const [clientCode, clientReason] = await clientClosed
  t.is(clientCode, 4002)
  t.is((clientReason as Buffer).toString(), 'server done')
  await socketClosed
  t.is(socket.readyState, MessageWebSocket.CLOSED)
  t.throws(() => socket.close(1005), { message: /valid error code number, not 1005/ })
  t.false(socket.send('late'), 'send after close reports false')
  await closeServer(server)
})

test('terminate() closes TCP without a close handshake: both ends see 1006', async (t) => {
  const { server, ws, socket } = await connectedPair()
  const clientClosed = once(ws, 'close')
  const closed = once(socket, 'close')
  socket.terminate()
  t.is((await closed)[0], 1006)
  t.is((await clientClosed)[0], 1006)
  t.is(server.clients.size, 0, 'a closed socket leaves clients')
  await closeServer(server)
})

test('our MessageWebSocket client ↔ a ws server: open, echo, subprotocol, close code', async (t) => {
  const wss = new WSServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false) })
  await once(wss, 'listening')
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })))
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/room`
  const client = new MessageWebSocket(url, ['superchat', 'chat'])
  t.is(client.readyState, MessageWebSocket.CONNECTING)
  t.throws(() => client.send('too early'), { message: /not open/ })
  await once(client, 'open')
  t.is(client.protocol, 'chat')
  client.send('hi')
  t.deepEqual(await nextMessage(client), [Buffer.from('hi'), false])
  client.send(new Uint8Array([9, 8, 7]))
  t.deepEqual(await nextMessage(client), [Buffer.from([9, 8, 7]), true])
  const closed = once(client, 'close')
  client.close(1000, 'bye')
  t.is((await closed)[0], 1000)
  await new Promise((resolve) => wss.close(resolve))
})

test('client errors: refused connection and a non-WebSocket URL give error then close 1006', async (t) => {
  const free = net.createServer()
  free.listen(0, '127.0.0.1')
  await once(free, 'listening')
  const port = (free.address() as AddressInfo).port
  free.close()
  const refused = new MessageWebSocket(`ws://127.0.0.1:${port}/`)
  const closed = new Promise<number>((resolve) => refused.once('close', resolve))
  const [error] = await once(refused, 'error')
  t.true(error instanceof ConnectionRefusedException)
  t.is(await closed, 1006)
  // As ws: SyntaxError at once (ws-client-parity.test.ts has the messages).
  t.throws(() => new MessageWebSocket('not a url'), { instanceOf: SyntaxError })
  t.throws(() => new MessageWebSocket('ftp://127.0.0.1:1/'), { instanceOf: SyntaxError })
})

test('server options: path, handleProtocols, verifyClient (401), plain HTTP gets 426', async (t) => {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    path: '/ws',
    handleProtocols: (protocols) => (protocols.has('v2') ? 'v2' : false),
    verifyClient: ({ origin }) => origin !== 'https://evil.example',
  })
  await once(server, 'listening')
  const base = `ws://127.0.0.1:${server.address().port}`
  const ws = await opened(`${base}/ws`, ['v1', 'v2'])
  t.is(ws.protocol, 'v2')
  ws.close()
  const wrongPath = new WS(`${base}/other`)
  t.regex(((await once(wrongPath, 'error'))[0] as Error).message, /400/)
  const evil = new WS(`${base}/ws`, { origin: 'https://evil.example' })
  t.regex(((await once(evil, 'error'))[0] as Error).message, /401/)
  const plain = await rawExchange(server.address().port, 'GET /ws HTTP/1.1\r\nHost: x\r\n\r\n', (b) => b.includes('\r\n\r\n'))
  t.regex(plain.toString(), /^HTTP\/1\.1 426/)
  await closeServer(server)
})

test('async iteration yields every message in order and ends on close', async (t) => {
  const { server, ws, socket } = await connectedPair()
  const count = 500
  for (let i = 0; i < count; i++) ws.send(String(i))
  ws.close(1000)
  const seen: string[] = []
  for await (const { data, isBinary } of socket) {
    t.false(isBinary)
    seen.push(data.toString())
  }
  t.deepEqual(seen, Array.from({ length: count }, (_, i) => String(i)))
  await closeServer(server)
})

test('pause() stops reading: the peer is held back by TCP; resume() delivers everything', async (t) => {
  const { server, ws, socket } = await connectedPair()
  let received = 0
  socket.on('message', () => received++)
  socket.pause()
  t.true(socket.isPaused)
  const chunk = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 400; i++) ws.send(chunk) // 25 MiB: far more than the socket buffers hold
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.is(received, 0)
  t.true(ws.bufferedAmount > 8 * 1024 * 1024, `the sender is held back (${ws.bufferedAmount} bytes waiting)`)
  socket.resume()
  while (received < 400) await once(socket, 'message')
  t.is(received, 400)
  ws.terminate()
  await closeServer(server)
})

test('send() reports backpressure: false over the high-water mark, then drain', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', highWaterMark: 256 * 1024 })
  await once(server, 'listening')
  const serverSide = once(server, 'connection')
  // A raw peer that completes the handshake and then does not read.
  const peer = rawUpgrade(server.address().port)
  const [socket] = (await serverSide) as [MessageWebSocket]
  peer.pause()
  const chunk = Buffer.alloc(64 * 1024)
  let accepted = 0
  // false once the write buffer was over the mark at the last hand-over (the runtime may have
  // moved all of it to the kernel since, so bufferedAmount is not checked here).
  while (accepted < 1000 && socket.send(chunk)) accepted++
  t.true(accepted < 1000, `send() said false after ${accepted} messages`)
  const drained = once(socket, 'drain')
  peer.resume()
  await drained
  t.true(socket.bufferedAmount <= 256 * 1024)
  socket.terminate()
  peer.destroy()
  await closeServer(server)
})

test('maxBackpressure: a peer that never reads is dropped, others keep being served', async (t) => {
  const { server, url } = await echoServer({ maxBackpressure: 1024 * 1024 })
  const serverSide = once(server, 'connection')
  const peer = rawUpgrade(server.address().port)
  const [socket] = (await serverSide) as [MessageWebSocket]
  peer.pause()
  const errors: unknown[] = []
  socket.on('error', (error) => errors.push(error))
  const closed = new Promise<number>((resolve) => socket.once('close', resolve))
  const chunk = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 200 && socket.readyState === MessageWebSocket.OPEN; i++) socket.send(chunk)
  t.is(await closed, 1006)
  t.regex(String(errors[0]), /not reading/)
  const other = await opened(url)
  other.send('still here')
  t.deepEqual(await nextMessage(other), [Buffer.from('still here'), false])
  other.close()
  peer.destroy()
  await closeServer(server)
})

test('keepalive: a silent peer is dropped after idleTimeout (1006); a ws peer answering PINGs stays', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', pingInterval: 100, idleTimeout: 400 })
  await once(server, 'listening')
  const port = server.address().port
  let serverSide = once(server, 'connection')
  const silent = rawUpgrade(port)
  silent.on('data', () => {}) // reads, never answers
  const [dropped] = (await serverSide) as [MessageWebSocket]
  serverSide = once(server, 'connection')
  const alive = await opened(`ws://127.0.0.1:${port}`)
  const [kept] = (await serverSide) as [MessageWebSocket]
  let pings = 0
  alive.on('ping', () => pings++)
  t.is((await once(dropped, 'close'))[0], 1006)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.is(kept.readyState, MessageWebSocket.OPEN)
  t.true(pings >= 3, `pings: ${pings}`)
  alive.terminate()
  silent.destroy()
  await closeServer(server)
})

test('MessageWebSocket.from takes over a Poco frame-API connection', async (t) => {
  const handed: MessageWebSocket[] = []
  const server = await startServer(async (request, response) => {
    const socket = MessageWebSocket.from(await WebSocket.accept(request, response))
    handed.push(socket)
    socket.on('message', (data: Buffer) => socket.send(`echo:${data.toString()}`))
  })
  const ws = await opened(`ws://127.0.0.1:${server.port()}`)
  ws.send('x')
  t.deepEqual(await nextMessage(ws), [Buffer.from('echo:x'), false])
  ws.close()
  await once(handed[0], 'close')
  await server.stop()
})

test('a Poco handle whose connection a MessageWebSocket took over and closed is closed too', async (t) => {
  const handles: WebSocket[] = []
  const taken: MessageWebSocket[] = []
  const server = await startServer(async (request, response) => {
    const handle = await WebSocket.accept(request, response)
    handles.push(handle)
    taken.push(MessageWebSocket.from(handle))
  })
  const ws = await opened(`ws://127.0.0.1:${server.port()}`)
  while (taken.length === 0) await new Promise((resolve) => setImmediate(resolve))
  const closed = once(taken[0], 'close')
  taken[0].terminate()
  await closed
  await t.throwsAsync(handles[0].sendFrame('x'), { instanceOf: InvalidSocketException })
  await t.throwsAsync(handles[0].receiveFrame(), { instanceOf: InvalidSocketException })
  // Members that ask the addon nothing see it too.
  t.throws(() => handles[0].getBlocking(), { instanceOf: InvalidSocketException })
  t.throws(() => handles[0].getReceiveTimeout(), { instanceOf: InvalidSocketException })
  ws.terminate()
  await server.stop()
})

test('a message handler that throws does not stop other connections from being served', async (t) => {
  const { server, url } = await echoServer()
  const listeners = process.listeners('uncaughtException')
  process.removeAllListeners('uncaughtException')
  const thrown: unknown[] = []
  process.on('uncaughtException', (error) => thrown.push(error))
  try {
    server.on('connection', (ws: MessageWebSocket) =>
      ws.on('message', (data: Buffer) => {
        if (data.toString() === 'boom') throw new Error('handler failed')
      }),
    )
    const a = await opened(url)
    const b = await opened(url)
    a.send('boom')
    b.send('fine')
    t.deepEqual(await nextMessage(b), [Buffer.from('fine'), false])
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.is(thrown.length, 1)
    a.terminate()
    b.terminate()
  } finally {
    process.removeAllListeners('uncaughtException')
    for (const listener of listeners) process.on('uncaughtException', listener)
  }
  await closeServer(server)
})

test('messages sent right before terminate() or close() still reach the peer, in order', async (t) => {
  const { server, ws, socket } = await connectedPair()
  const received: string[] = []
  ws.on('message', (data: Buffer) => received.push(data.toString()))
  const closed = once(ws, 'close')
  socket.send('one')
  socket.send('two')
  socket.terminate()
  t.is((await closed)[0], 1006)
  t.deepEqual(received, ['one', 'two'])
  await closeServer(server)
})

test('send() takes the payload when called: changing the buffer afterwards does not change the message', async (t) => {
  const { server, ws, socket } = await connectedPair()
  const received: Buffer[] = []
  ws.on('message', (data: Buffer) => received.push(data))
  const small = Buffer.from('small payload')
  const large = Buffer.alloc(64 * 1024, 'L')
  socket.send(small)
  small.fill('x')
  // A large payload goes out at once (the small one before it).
  socket.send(large)
  large.fill('y')
  while (received.length < 2) await once(ws, 'message')
  t.is(received[0].toString(), 'small payload')
  t.true(received[1].equals(Buffer.alloc(64 * 1024, 'L')))
  ws.close()
  await closeServer(server)
})

test('messages kept by the app stay intact while later batches reuse the memory of those let go', async (t) => {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const server = new WebSocketServer({ host: '127.0.0.1' })
  await once(server, 'listening')
  const count = 4000
  const kept = new Map<number, Buffer>()
  let seen = 0
  const all = new Promise<void>((resolve) =>
    server.on('connection', (socket: MessageWebSocket) =>
      socket.on('message', (data: Buffer) => {
        const i = seen++
        if (i % 7 === 0) kept.set(i, data)
        // Batches let go meanwhile are collected, and their buffers serve the next ones.
        if (i % 250 === 0) gc()
        if (seen === count) resolve()
      }),
    ),
  )
  const ws = await opened(`ws://127.0.0.1:${server.address().port}`)
  // 1 KiB messages, each filled with its own byte, sent at once: batches of many messages.
  for (let i = 0; i < count; i++) ws.send(Buffer.alloc(1024, i % 251))
  await all
  gc()
  const changed = [...kept].filter(([i, data]) => data.length !== 1024 || data.some((byte) => byte !== i % 251))
  t.deepEqual(changed.map(([i]) => i), [])
  ws.close()
  await closeServer(server)
})

test('ws-style fragments: send(data, { fin: false }) then send(data) is one message (the rest go as CONTINUATION)', async (t) => {
  const received: Array<[Buffer, boolean]> = []
  const wsServer = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wsServer, 'listening')
  wsServer.on('connection', (peer) => peer.on('message', (data: Buffer, isBinary: boolean) => received.push([data, isBinary])))
  const ws = new MessageWebSocket(`ws://127.0.0.1:${(wsServer.address() as AddressInfo).port}`)
  await once(ws, 'open')
  ws.send('a', { fin: false })
  ws.send('b', { fin: false })
  ws.send('c')
  ws.send('next')
  while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  t.deepEqual(received, [
    [Buffer.from('abc'), false],
    [Buffer.from('next'), false],
  ])
  ws.close()
  await once(ws, 'close')
  wsServer.close()
})

test("a ws client's send('hello'); close(): the echo sent from the 'message' handler arrives before the close (RFC 6455 §5.5.1)", async (t) => {
  const { server, url } = await echoServer()
  for (let i = 0; i < 20; i++) {
    const ws = await opened(url)
    const messages: string[] = []
    ws.on('message', (data: Buffer) => messages.push(data.toString()))
    ws.send('hello')
    ws.close()
    const [code] = await once(ws, 'close')
    t.is(code, 1005, 'our server echoes the empty CLOSE')
    t.deepEqual(messages, ['hello'], `round ${i}`)
  }
  await closeServer(server)
})

test("an exception in an 'open' listener is an uncaught exception and leaves the socket working", async (t) => {
  const { server, url } = await echoServer()
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, [`${__dirname}/fixtures/open-throws.js`, url], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await once(child, 'exit')
  t.deepEqual(JSON.parse(out), { uncaught: 'thrown in open', rejection: null, echo: 'still open', closeCode: 1000 })
  await closeServer(server)
})

test("an exception in a 'connection' listener is an uncaught exception, and the socket is not left half alive", async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1' })
  await once(server, 'listening')
  const uncaught = new Promise<Error>((resolve) => {
    const listeners = process.listeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    process.once('uncaughtException', (error) => {
      for (const listener of listeners) process.on('uncaughtException', listener)
      resolve(error)
    })
  })
  server.once('connection', (socket: MessageWebSocket) => {
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }))
    throw new Error('thrown in connection')
  })
  const ws = await opened(`ws://127.0.0.1:${server.address().port}`)
  t.is((await uncaught).message, 'thrown in connection')
  ws.send('ping?')
  t.deepEqual(await nextMessage(ws), [Buffer.from('ping?'), false])
  ws.close()
  await once(ws, 'close')
  await closeServer(server)
})

test('WebSocketServer refuses what RFC 6455 §4.2.1 and ws refuse, as ws answers', async (t) => {
  const { server } = await echoServer({ handleProtocols: (protocols) => [...protocols][0] })
  const port = server.address().port
  const key = 'dGhlIHNhbXBsZSBub25jZQ=='
  const request = (line: string, fields: Record<string, string | null>, extra = ''): string => {
    const all: Record<string, string | null> = { Host: '127.0.0.1', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', ...fields }
    const lines = Object.entries(all).filter(([, value]) => value !== null).map(([name, value]) => `${name}: ${value}`)
    return `${line}\r\n${lines.join('\r\n')}${extra}\r\n\r\n`
  }
  const cases: Array<[string, string, RegExp]> = [
    ['POST', request('POST / HTTP/1.1', {}), /^HTTP\/1\.1 405 .*\r\n[^]*Invalid HTTP method/],
    ['DELETE', request('DELETE / HTTP/1.1', {}), /^HTTP\/1\.1 405 /],
    ['HTTP/1.0', request('GET / HTTP/1.0', {}), /^HTTP\/1\.0 400 [^]*Invalid HTTP version/],
    ['no Host', request('GET / HTTP/1.1', { Host: null }), /^HTTP\/1\.1 400 [^]*Missing Host header/],
    ['a key that is not base64', request('GET / HTTP/1.1', { 'Sec-WebSocket-Key': '!!!!!!!!!!!!!!!!!!!!!!==' }), /^HTTP\/1\.1 400 [^]*Missing or invalid Sec-WebSocket-Key header/],
    ['a key of 15 bytes', request('GET / HTTP/1.1', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25j' }), /^HTTP\/1\.1 400 [^]*Sec-WebSocket-Key/],
    ['a duplicated key', request('GET / HTTP/1.1', {}, `\r\nSec-WebSocket-Key: ${key}`), /^HTTP\/1\.1 400 [^]*Sec-WebSocket-Key/],
    ['version 8', request('GET / HTTP/1.1', { 'Sec-WebSocket-Version': '8' }), /^HTTP\/1\.1 400 [^]*\r\nSec-WebSocket-Version: 13\r\n/],
    ['a 15,002-character protocol that is not a token list', request('GET / HTTP/1.1', { 'Sec-WebSocket-Protocol': `b${' '.repeat(15_000)}x` }), /^HTTP\/1\.1 400 [^]*Invalid Sec-WebSocket-Protocol header/],
  ]
  for (const [name, bytes, expected] of cases) {
    const answer = (await rawExchange(port, bytes)).toString('latin1')
    t.regex(answer, expected, name)
    t.notRegex(answer, / 101 /, name)
    t.false(answer.includes(' '.repeat(100)), `${name}: nothing echoed back`)
  }
  // A valid one still upgrades, with the protocol chosen from a token list.
  const ok = (await rawExchange(port, request('GET / HTTP/1.1', { 'Sec-WebSocket-Protocol': 'chat, superchat' }), (bytes) => bytes.includes('\r\n\r\n'))).toString('latin1')
  t.regex(ok, /^HTTP\/1\.1 101 [^]*\r\nSec-WebSocket-Protocol: chat\r\n/)
  await closeServer(server)
})

test('our client fails the handshake on an extension it did not offer and on an empty subprotocol (RFC 6455 §4.1)', async (t) => {
  const { fakeServer, keyOf } = await import('./helpers')
  const { WebSocket: Poco } = await import('../index')
  const answers = [
    ['Sec-WebSocket-Extensions: permessage-deflate', undefined, false],
    ['Sec-WebSocket-Extensions: x-webkit-deflate-frame', undefined, true],
    ['Sec-WebSocket-Protocol: ', 'chat', true],
    ['Sec-WebSocket-Protocol: superchat', 'chat', true],
  ] as const
  for (const [field, offered, perMessageDeflate] of answers) {
    const fake = await fakeServer((head, socket) => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${Poco.computeAccept(keyOf(head))}\r\n${field}\r\n\r\n`)
    })
    const ws = new MessageWebSocket(`ws://127.0.0.1:${fake.port}`, offered, { perMessageDeflate })
    const errors: unknown[] = []
    ws.on('error', (error) => errors.push(error))
    const code = await new Promise((resolve) => ws.once('close', resolve))
    t.is(code, 1006, field)
    // The core's WebSocketException, with ws's message where ws has one for the failure.
    t.regex(String(errors[0]), /^WebSocket Exception: (Server sent a Sec-WebSocket-Extensions header but no extension was requested|Server indicated an extension that was not requested|Server sent an invalid subprotocol)$/, field)
    t.is(ws.readyState, MessageWebSocket.CLOSED)
    fake.close()
  }
})

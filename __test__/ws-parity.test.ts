// ws 8.x parity of MessageWebSocket (issue 13): the same code against ws's WebSocket and ours,
// with a real ws server as the peer.
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { Readable, type Duplex } from 'node:stream'

import test from 'ava'
import WS, { WebSocketServer as WSServer, createWebSocketStream as wsStream } from 'ws'

import {
  CloseEvent,
  ErrorEvent,
  MessageEvent,
  MessageWebSocket,
  WebSocketServer,
  createWebSocketStream,
  type VerifyClientDone,
  type WebSocketServerOptions,
} from '../index'

/** A ws server that echoes every message and answers 'close me' with close(4000, 'asked'). */
async function wsEcho(): Promise<{ url: string; wss: WSServer; stop: () => Promise<void> }> {
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  wss.on('connection', (peer) =>
    peer.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === 'close me') peer.close(4000, 'asked')
      else peer.send(data, { binary: isBinary })
    }),
  )
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/path?q=1`
  return { url, wss, stop: () => new Promise((resolve) => wss.close(() => resolve())) }
}

async function openClient(url: string): Promise<MessageWebSocket> {
  const ws = new MessageWebSocket(url)
  await once(ws, 'open')
  return ws
}

test('ready-state constants: same values and descriptors as ws, on the class and the prototype', (t) => {
  for (const name of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) {
    t.deepEqual(Object.getOwnPropertyDescriptor(MessageWebSocket, name), Object.getOwnPropertyDescriptor(WS, name), name)
    t.deepEqual(Object.getOwnPropertyDescriptor(MessageWebSocket.prototype, name), Object.getOwnPropertyDescriptor(WS.prototype, name), name)
  }
  t.is(MessageWebSocket.CLOSED, 3)
  t.throws(() => {
    ;(MessageWebSocket as unknown as { OPEN: number }).OPEN = 7
  }, { instanceOf: TypeError })
  // Enumerable accessors and on<type> attributes where ws has them.
  for (const name of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url', 'onopen', 'onmessage', 'onclose', 'onerror']) {
    t.true(Object.getOwnPropertyDescriptor(MessageWebSocket.prototype, name)?.enumerable, name)
  }
})

test('binaryType: nodebuffer by default, arraybuffer, fragments, blob; invalid values ignored; text stays a Buffer', async (t) => {
  const { url, stop } = await wsEcho()
  const ws = await openClient(url)
  const next = async (): Promise<[unknown, boolean]> => (await once(ws, 'message')) as [unknown, boolean]
  t.is(ws.binaryType, 'nodebuffer')
  ws.send(Buffer.from([1, 2, 3]))
  t.deepEqual(await next(), [Buffer.from([1, 2, 3]), true])
  ws.binaryType = 'arraybuffer'
  ws.send(Buffer.from([4, 5]))
  const [ab] = await next()
  t.true(ab instanceof ArrayBuffer)
  t.deepEqual([...new Uint8Array(ab as ArrayBuffer)], [4, 5])
  ws.binaryType = 'fragments'
  ws.send(Buffer.from([6]))
  t.deepEqual(await next(), [[Buffer.from([6])], true])
  ws.binaryType = 'blob'
  t.is(ws.binaryType, 'blob')
  ws.send(Buffer.from([7, 8]))
  const [blob] = await next()
  t.true(blob instanceof Blob)
  t.deepEqual([...new Uint8Array(await (blob as Blob).arrayBuffer())], [7, 8])
  ;(ws as { binaryType: string }).binaryType = 'nonsense'
  t.is(ws.binaryType, 'blob', 'an invalid value is ignored, as ws')
  ws.send('text')
  t.deepEqual(await next(), [Buffer.from('text'), false])
  ws.close()
  await once(ws, 'close')
  await stop()
})

test('addEventListener / removeEventListener / on<type>: ws event objects, once, dedup, handleEvent', async (t) => {
  const { url, stop } = await wsEcho()
  const ws = new MessageWebSocket(url)
  const opened = new Promise<unknown>((resolve) => ws.addEventListener('open', (event) => resolve(event), { once: true }))
  const openEvent = (await opened) as { type: string; target: unknown }
  t.is(openEvent.type, 'open')
  t.is(openEvent.target, ws)
  t.is(ws.listenerCount('open'), 0, 'once removed it')

  const messages: MessageEvent[] = []
  const listener = (event: MessageEvent): void => void messages.push(event)
  ws.addEventListener('message', listener)
  ws.addEventListener('message', listener)
  t.is(ws.listenerCount('message'), 1, 'the same listener is added once')
  let fromAttribute = 0
  ws.onmessage = () => fromAttribute++
  t.is(typeof ws.onmessage, 'function')
  const handled: unknown[] = []
  const object = { handleEvent: (event: MessageEvent) => handled.push(event.data) }
  ws.addEventListener('message', object)
  ws.send('hello')
  ws.send(Buffer.from([1, 2]))
  while (messages.length < 2) await once(ws, 'message')
  t.is(messages[0].data, 'hello', 'text as a string')
  t.deepEqual(messages[1].data, Buffer.from([1, 2]))
  t.is(messages[0].type, 'message')
  t.is(messages[0].target, ws)
  t.true(messages[0] instanceof MessageEvent)
  t.deepEqual(Object.keys(Object.getPrototypeOf(messages[0])), ['data'], 'an enumerable accessor, as ws')
  t.is(fromAttribute, 2)
  t.deepEqual(handled, ['hello', Buffer.from([1, 2])])

  ws.removeEventListener('message', listener)
  ws.removeEventListener('message', object)
  ws.onmessage = null
  t.is(ws.onmessage, null)
  t.is(ws.listenerCount('message'), 0)

  ws.addEventListener('nonsense' as 'open', () => {})
  t.is(ws.listenerCount('nonsense'), 0, 'other types are ignored, as ws')

  const closed = new Promise<CloseEvent>((resolve) => (ws.onclose = resolve))
  ws.send('close me')
  const close = await closed
  t.true(close instanceof CloseEvent)
  t.is(close.code, 4000)
  t.is(close.reason, 'asked')
  t.true(close.wasClean)
  t.deepEqual(Object.keys(close), [], 'no own enumerable fields, as ws')
  await stop()
})

test('onerror gets an ErrorEvent; a dropped connection closes unclean', async (t) => {
  const refused = new MessageWebSocket('ws://127.0.0.1:1/')
  const error = await new Promise<ErrorEvent>((resolve) => (refused.onerror = resolve))
  t.true(error instanceof ErrorEvent)
  t.true(error.error instanceof Error)
  t.is(error.message, (error.error as Error).message)
  t.is(error.target, refused)

  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  wss.on('connection', (peer) => peer.terminate())
  const dropped = new MessageWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  const close = await new Promise<CloseEvent>((resolve) => dropped.addEventListener('close', resolve))
  t.is(close.code, 1006)
  t.false(close.wasClean)
  await new Promise((resolve) => wss.close(resolve))
})

test('url, protocol, extensions, isPaused, readyState', async (t) => {
  const { url, stop } = await wsEcho()
  const ws = new MessageWebSocket(url)
  const reference = new WS(url)
  t.is(ws.url, reference.url)
  t.is(ws.readyState, ws.CONNECTING)
  t.is(ws.extensions, '')
  await Promise.all([once(ws, 'open'), once(reference, 'open')])
  t.is(ws.readyState, MessageWebSocket.OPEN)
  t.is(ws.protocol, '')
  t.false(ws.isPaused)
  ws.pause()
  t.true(ws.isPaused)
  ws.resume()
  t.false(ws.isPaused)
  reference.terminate()
  const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener('close', resolve))
  ws.close(1000, 'bye')
  t.is(ws.readyState, ws.CLOSING)
  const close = await closed
  t.deepEqual([close.code, close.reason, close.wasClean], [1000, 'bye', true], 'our close handshake completed')
  t.is(ws.readyState, ws.CLOSED)
  await stop()
})

test('send/ping/pong take what ws takes: numbers, undefined, ArrayBuffer, typed arrays, DataView, callbacks', async (t) => {
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const received: Array<[string, boolean]> = []
  const pings: string[] = []
  const pongs: string[] = []
  wss.on('connection', (peer) => {
    peer.on('message', (data, isBinary) => received.push([(data as Buffer).toString('hex'), isBinary]))
    peer.on('ping', (data) => pings.push(data.toString()))
    peer.on('pong', (data) => pongs.push(data.toString()))
  })
  const ws = await openClient(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  const errors: unknown[] = []
  const cb = (error?: Error): void => void errors.push(error)
  ws.send(42, cb)
  ws.send(undefined, cb)
  ws.send(new Uint8Array([1, 2]).buffer, { binary: true }, cb)
  ws.send(new Uint16Array([0x0403]))
  ws.send(new DataView(new Uint8Array([9, 9, 5, 9]).buffer, 2, 1))
  ws.ping(7, true, cb)
  ws.ping(cb)
  ws.pong('p', undefined, cb)
  ws.pong(undefined, cb)
  while (received.length < 5 || pings.length < 2 || pongs.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  t.deepEqual(received, [
    [Buffer.from('42').toString('hex'), false],
    ['', true],
    ['0102', true],
    ['0304', true],
    ['05', true],
  ])
  t.deepEqual(pings, ['7', ''])
  t.deepEqual(pongs, ['p', ''])
  t.deepEqual(errors, [undefined, undefined, undefined, undefined, undefined, undefined, undefined])
  ws.terminate()
  await new Promise((resolve) => wss.close(resolve))
})

test('sends while CONNECTING throw ws’s error; while CLOSING/CLOSED the callback gets it', async (t) => {
  const { url, stop } = await wsEcho()
  const ours = new MessageWebSocket(url)
  const theirs = new WS(url)
  for (const socket of [ours, theirs] as Array<{ send(data: string): void; ping(): void; pong(): void }>) {
    for (const call of [() => socket.send('x'), () => socket.ping(), () => socket.pong()]) {
      t.throws(call, { message: 'WebSocket is not open: readyState 0 (CONNECTING)' })
    }
  }
  await Promise.all([once(ours, 'open'), once(theirs, 'open')])
  const results: Record<string, unknown[]> = { ours: [], theirs: [] }
  // The calls both classes take, to run the same code on each.
  type Common = {
    send(data: string, cb: (error?: Error) => void): void
    ping(data: Buffer, mask: undefined, cb: (error?: Error) => void): void
    close(): void
    readonly bufferedAmount: number
  } & NodeJS.EventEmitter
  for (const [name, socket] of [['ours', ours], ['theirs', theirs]] as Array<[string, Common]>) {
    socket.close()
    const before = socket.bufferedAmount
    await new Promise<void>((resolve) =>
      socket.send('abc', (error) => {
        results[name].push(socket.bufferedAmount - before, (error as Error).message)
        resolve()
      }),
    )
    await once(socket, 'close')
    await new Promise<void>((resolve) =>
      socket.ping(Buffer.from('zz'), undefined, (error) => {
        results[name].push((error as Error).message)
        resolve()
      }),
    )
  }
  t.deepEqual(results.ours, results.theirs)
  t.deepEqual(results.ours, [3, 'WebSocket is not open: readyState 2 (CLOSING)', 'WebSocket is not open: readyState 3 (CLOSED)'])
  await stop()
})

test('createWebSocketStream: a Duplex over the socket, as ws’s', async (t) => {
  const { url, stop } = await wsEcho()
  const ws = new MessageWebSocket(url)
  const duplex = createWebSocketStream(ws)
  // Written before open: waits for it, as ws.
  duplex.write('one')
  duplex.write(Buffer.from('two'))
  const chunks: Buffer[] = []
  duplex.on('data', (chunk: Buffer) => chunks.push(chunk))
  while (chunks.length < 2) await once(duplex, 'data')
  t.deepEqual(chunks.map(String), ['one', 'two'])
  const closed = once(duplex, 'close')
  duplex.end()
  await closed
  t.is(ws.readyState, ws.CLOSED)
  t.true(duplex.destroyed)

  // Object mode gives text as strings; destroy() terminates the socket.
  const second = await openClient(url)
  const objects = createWebSocketStream(second, { readableObjectMode: true })
  // Writes are binary (the writable side takes bytes); a text message is read as a string.
  second.send('text')
  const [chunk] = (await once(objects, 'data')) as [unknown]
  t.is(chunk, 'text')
  const socketClosed = once(second, 'close')
  objects.destroy()
  t.is(((await socketClosed) as [number])[0], 1006)

  // Through pipeline, with ws's own stream on the other side of a ws server.
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const serverGot: Buffer[] = []
  wss.on('connection', (peer) => {
    const peerStream = wsStream(peer)
    peerStream.on('data', (data: Buffer) => serverGot.push(data))
    peerStream.on('error', () => {})
  })
  const third = new MessageWebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  const out = createWebSocketStream(third)
  await pipeline(Readable.from([Buffer.from('a'), Buffer.from('b')]), out)
  t.deepEqual(serverGot.map(String), ['a', 'b'])
  await new Promise((resolve) => wss.close(resolve))
  await stop()
})

// ---- the server on its own port, compared with ws's WebSocketServer ----

/** Both servers, made with the same options on 127.0.0.1. */
type AnyServer = WSServer | WebSocketServer
async function bothServers(options: Record<string, unknown>): Promise<Array<[string, AnyServer]>> {
  const servers: Array<[string, AnyServer]> = [
    ['ws', new WSServer({ host: '127.0.0.1', port: 0, ...options })],
    ['poco', new WebSocketServer({ host: '127.0.0.1', port: 0, ...(options as WebSocketServerOptions) })],
  ]
  await Promise.all(servers.map(([, server]) => once(server, 'listening')))
  return servers
}
const closeServer = (server: AnyServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

/** An HTTP request to `port`: the status, the fields that tell the answers apart and the body. */
function answer(port: number, request: http.RequestOptions): Promise<{ status?: number; type?: string; foo?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...request }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], foo: res.headers['x-foo'] as string | undefined, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
const UPGRADE = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' }

test('own port: refused requests are answered with ws status, body (no newline) and Content-Type', async (t) => {
  const cases: Array<[string, Record<string, unknown>, http.RequestOptions]> = [
    ['not an upgrade', {}, { path: '/' }],
    ['another path', { path: '/ws' }, { path: '/other', headers: UPGRADE }],
    ['not GET', {}, { method: 'POST', path: '/', headers: UPGRADE }],
    ['a bad key', {}, { path: '/', headers: { ...UPGRADE, 'Sec-WebSocket-Key': 'short' } }],
    ['verifyClient false', { verifyClient: () => false }, { path: '/', headers: UPGRADE }],
    [
      'verifyClient done(false, status, message, headers)',
      { verifyClient: (_info: unknown, done: VerifyClientDone) => setImmediate(done, false, 404, 'Not here', { 'X-Foo': 'bar' }) },
      { path: '/', headers: UPGRADE },
    ],
    [
      'verifyClient done(false, status)',
      { verifyClient: (_info: unknown, done: VerifyClientDone) => done(false, 503) },
      { path: '/', headers: UPGRADE },
    ],
  ]
  for (const [name, options, request] of cases) {
    const answers: Record<string, unknown> = {}
    for (const [which, server] of await bothServers(options)) {
      answers[which] = await answer((server.address() as AddressInfo).port, request)
      await closeServer(server)
    }
    t.deepEqual(answers.poco, answers.ws, name)
  }
})

test('address() is null once closed, as ws; clientTracking false leaves clients undefined', async (t) => {
  for (const [which, server] of await bothServers({})) {
    t.is(typeof (server.address() as AddressInfo).port, 'number', which)
    await closeServer(server)
    t.is(server.address(), null, which)
  }
  for (const [which, server] of await bothServers({ clientTracking: false })) {
    t.is(server.clients as unknown, undefined, which)
    const port = (server.address() as AddressInfo).port
    const connected = once(server, 'connection')
    const client = new WS(`ws://127.0.0.1:${port}`)
    const [socket] = (await connected) as [MessageWebSocket]
    t.is(server.clients as unknown, undefined, which)
    socket.close()
    await once(client, 'close')
    await closeServer(server)
  }
})

test("the WebSocket option: accepted sockets are made of the given subclass (own port and noServer)", async (t) => {
  class Tagged extends MessageWebSocket {
    get tag(): string {
      return 'tagged'
    }
  }
  const own = new WebSocketServer({ host: '127.0.0.1', port: 0, WebSocket: Tagged })
  await once(own, 'listening')
  const client = new WS(`ws://127.0.0.1:${own.address().port}`)
  const [socket] = (await once(own, 'connection')) as [MessageWebSocket]
  t.true(socket instanceof Tagged)
  t.is((socket as Tagged).tag, 'tagged')
  // Still a working socket.
  socket.send('hi')
  const [data] = (await once(client, 'message')) as [Buffer]
  t.is(String(data), 'hi')
  client.close()
  await once(socket, 'close')
  await closeServer(own)

  const server = http.createServer()
  const attached = new WebSocketServer({ noServer: true, WebSocket: Tagged })
  server.on('upgrade', (req, duplex, head) => attached.handleUpgrade(req, duplex, head, (ws) => attached.emit('connection', ws, req)))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const second = new WS(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`)
  const [upgraded] = (await once(attached, 'connection')) as [MessageWebSocket]
  t.true(upgraded instanceof Tagged)
  if (second.readyState === WS.CONNECTING) await once(second, 'open')
  second.close()
  await once(upgraded, 'close')
  server.close()
})

test("noServer: ws's first checks (method, Upgrade field) and the wsClientError event, as ws", async (t) => {
  const requests: Array<[string, http.RequestOptions]> = [
    ['not GET', { method: 'POST', headers: UPGRADE }],
    ['another upgrade', { headers: { ...UPGRADE, Upgrade: 'h2c' } }],
    ['a bad key', { headers: { ...UPGRADE, 'Sec-WebSocket-Key': 'short' } }],
  ]
  for (const withListener of [false, true]) {
    for (const [name, request] of requests) {
      const results: Record<string, unknown> = {}
      for (const [which, wss] of [
        ['ws', new WSServer({ noServer: true })],
        ['poco', new WebSocketServer({ noServer: true })],
      ] as const) {
        const server = http.createServer()
        const events: string[] = []
        if (withListener) {
          wss.on('wsClientError', (error: Error, socket: Duplex, req: http.IncomingMessage) => {
            events.push(`${error.message} (${req.method})`)
            socket.end('HTTP/1.1 418 I\'m a Teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
          })
        }
        server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => events.push('connection')))
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
        const got = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...request })
          const settle = (res: http.IncomingMessage): void => {
            let body = ''
            res.on('data', (chunk: Buffer) => (body += chunk))
            res.on('end', () => resolve({ status: res.statusCode, body }))
            res.on('error', () => resolve({ status: res.statusCode, body }))
          }
          req.on('response', settle)
          req.on('upgrade', settle)
          req.on('error', reject)
          req.end()
        })
        results[which] = { ...got, events }
        server.close()
      }
      t.deepEqual(results.poco, results.ws, `${name}${withListener ? ', with a wsClientError listener' : ''}`)
    }
  }
})

test("own port: the request has Node's IncomingMessage names (url, method, headers, rawHeaders, socket), as ws's", async (t) => {
  const seen: Record<string, unknown> = {}
  for (const [which, server] of await bothServers({ verifyClient: (info: { req: { headers: http.IncomingHttpHeaders } }) => info.req.headers['x-token'] === 'yes' })) {
    const port = (server.address() as AddressInfo).port
    const connected = once(server, 'connection')
    const client = new WS(`ws://127.0.0.1:${port}/room?user=1`, ['chat'], {
      headers: { 'X-Token': 'yes', 'X-Multi': 'a', Cookie: 'c=1' },
      origin: 'http://example.test',
    })
    const [socket, req] = (await connected) as [MessageWebSocket, http.IncomingMessage]
    const { url, method, httpVersion, headers, rawHeaders } = req
    seen[which] = {
      url,
      method,
      httpVersion,
      headers: { host: headers.host === `127.0.0.1:${port}`, origin: headers.origin, 'x-token': headers['x-token'], cookie: headers.cookie, protocol: headers['sec-websocket-protocol'] },
      raw: rawHeaders.includes('X-Token') && rawHeaders.includes('yes'),
      remote: [req.socket.remoteAddress, typeof req.socket.remotePort, req.socket.localPort === port],
    }
    await once(client, 'open')
    socket.close()
    await once(client, 'close')
    await closeServer(server)
  }
  t.deepEqual(seen.poco, seen.ws)
  t.like(seen.poco, { url: '/room?user=1', method: 'GET', headers: { 'x-token': 'yes' }, remote: ['127.0.0.1', 'number', true] })
})

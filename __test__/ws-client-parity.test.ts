// ws 8.x parity of MessageWebSocket as a client (issue 13): URL checks, aborting the handshake,
// 'upgrade' and 'unexpected-response', and the handshake options; ws is the peer and, where
// the behaviour is compared, the reference.
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import WS, { WebSocketServer as WSServer } from 'ws'

import { MessageWebSocket, WebSocket, type HandshakeResponse } from '../index'
import { fakeServer } from './helpers'

/** A ws echo server on 127.0.0.1 that keeps the last upgrade request's headers. */
async function wsServer(options: ConstructorParameters<typeof WSServer>[0] = {}): Promise<{
  url: string
  wss: WSServer
  last: () => http.IncomingHttpHeaders
  stop: () => Promise<void>
}> {
  const wss = new WSServer({ host: '127.0.0.1', port: 0, ...options })
  await once(wss, 'listening')
  let headers: http.IncomingHttpHeaders = {}
  wss.on('connection', (peer, req) => {
    headers = req.headers
    peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }))
  })
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    wss,
    last: () => headers,
    stop: () => new Promise((resolve) => wss.close(() => resolve())),
  }
}

/** A plain HTTP server answering every request (and upgrade) with `status` and `headers`. */
async function httpAnswering(status: number, headers: Record<string, string> = {}): Promise<{ port: number; stop: () => void }> {
  const server = http.createServer((_req, res) => res.writeHead(status, headers).end('body'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as AddressInfo).port, stop: () => server.close() }
}

/** ws's client (the reference) and ours, made the same way. */
const CLIENTS: Array<[string, (url: string, options?: Record<string, unknown>) => WS | MessageWebSocket]> = [
  ['ws', (url, options) => new WS(url, options)],
  ['poco', (url, options) => new MessageWebSocket(url, options)],
]
const { CONNECTING, CLOSING, CLOSED } = MessageWebSocket

/** The close code (events.once would reject on the 'error' that comes first). */
const closed = (ws: WS | MessageWebSocket): Promise<number> => new Promise((resolve) => ws.once('close', resolve))

/** The error and close code of a client whose handshake fails, and whether it opened. */
async function failure(ws: MessageWebSocket | WS): Promise<{ message: string; code: number; opened: boolean; state: number }> {
  let opened = false
  ws.on('open', () => (opened = true))
  let state = -1
  const error = new Promise<Error>((resolve) =>
    ws.once('error', (e: Error) => {
      state = ws.readyState
      resolve(e)
    }),
  )
  const code = await closed(ws)
  return { message: (await error).message, code, opened, state }
}

test('bad URLs throw SyntaxError with ws messages, the same as ws', (t) => {
  const cases: Array<[string, string]> = [
    ['not a url', 'Invalid URL: not a url'],
    ['ftp://127.0.0.1/', 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"'],
    ['ws://127.0.0.1/#frag', 'The URL contains a fragment identifier'],
  ]
  for (const [url, message] of cases) {
    t.throws(() => new WS(url), { instanceOf: SyntaxError, message }, `ws: ${url}`)
    t.throws(() => new MessageWebSocket(url), { instanceOf: SyntaxError, message }, url)
  }
  t.throws(() => new MessageWebSocket('ws://127.0.0.1/', ['a', 'a']), {
    instanceOf: SyntaxError,
    message: 'An invalid or duplicated subprotocol was specified',
  })
  t.throws(() => new MessageWebSocket('ws://127.0.0.1/', 'bad protocol'), { instanceOf: SyntaxError })
})

test('http: and https: URLs are taken as ws: and wss:; http: connects', async (t) => {
  const { url, stop } = await wsServer()
  const httpURL = url.replace('ws:', 'http:')
  const ws = new MessageWebSocket(httpURL)
  t.is(ws.url, url)
  const reference = new WS(httpURL)
  reference.on('error', () => {})
  t.is(ws.url, reference.url)
  reference.terminate()
  const secure = new MessageWebSocket('https://127.0.0.1:1/x')
  t.is(secure.url, 'wss://127.0.0.1:1/x')
  secure.terminate()
  await once(ws, 'open')
  ws.send('hi')
  const [data] = await once(ws, 'message')
  t.is(String(data), 'hi')
  ws.close()
  await once(ws, 'close')
  await stop()
})

test('protocolVersion: 13 is taken, anything else throws RangeError as ws', (t) => {
  t.throws(() => new MessageWebSocket('ws://127.0.0.1:1/', { protocolVersion: 8 }), {
    instanceOf: RangeError,
    message: 'Unsupported protocol version: 8 (supported versions: 13)',
  })
  t.throws(() => new WS('ws://127.0.0.1:1/', { protocolVersion: 7 }), { instanceOf: RangeError })
  const ws = new MessageWebSocket('ws://127.0.0.1:1/', { protocolVersion: 13 })
  ws.on('error', () => {})
  ws.terminate()
  t.pass()
})

for (const method of ['close', 'terminate'] as const) {
  test(`${method}() while CONNECTING: error "closed before the connection was established", close 1006, never open (as ws)`, async (t) => {
    const { url, stop } = await wsServer()
    const expected = 'WebSocket was closed before the connection was established'
    for (const [name, make] of CLIENTS) {
      const ws = make(url)
      ws[method]()
      t.is(ws.readyState, CLOSING)
      const result = await failure(ws)
      t.deepEqual(result, { message: expected, code: 1006, opened: false, state: CLOSING }, name)
      t.is(ws.readyState, CLOSED)
    }
    await stop()
  })
}

test('a connection that completes after the abort is closed at once, without open', async (t) => {
  // The server answers late, so that close() lands while the handshake is in the core.
  let answered = false
  const fake = await fakeServer((head, socket) => {
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1]
    setTimeout(() => {
      answered = true
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${WebSocket.computeAccept(key)}\r\n\r\n`)
    }, 100)
    socket.on('close', () => ended())
  })
  let ended: () => void = () => {}
  const serverSaw = new Promise<void>((resolve) => (ended = resolve))
  const ws = new MessageWebSocket(`ws://127.0.0.1:${fake.port}/`)
  ws.on('open', () => t.fail('opened'))
  await new Promise((resolve) => setTimeout(resolve, 50))
  ws.close()
  const result = await failure(ws)
  t.is(result.code, 1006)
  await serverSaw
  t.true(answered)
  t.is(ws.readyState, MessageWebSocket.CLOSED)
  fake.close()
})

test("'upgrade' comes before 'open' with the 101 response's status and headers", async (t) => {
  const { url, wss, stop } = await wsServer({ handleProtocols: () => 'chat' })
  wss.on('headers', (headers) => headers.push('X-Test: yes'))
  const ws = new MessageWebSocket(url, ['chat'])
  const order: string[] = []
  const [res] = (await Promise.all([
    once(ws, 'upgrade').then((args) => (order.push('upgrade'), args[0] as HandshakeResponse)),
    once(ws, 'open').then(() => order.push('open')),
  ])) as [HandshakeResponse, number]
  t.deepEqual(order, ['upgrade', 'open'])
  t.is(res.statusCode, 101)
  t.is(res.statusMessage, 'Switching Protocols')
  t.is(res.httpVersion, '1.1')
  t.is(res.headers['upgrade'], 'websocket')
  t.is(res.headers['sec-websocket-protocol'], 'chat')
  t.is(res.headers['x-test'], 'yes')
  t.true(res.rawHeaders.includes('X-Test'))
  t.is(ws.protocol, 'chat')
  ws.close()
  await once(ws, 'close')
  await stop()
})

test("close() in an 'upgrade' listener: no open, error and close 1006", async (t) => {
  const { url, stop } = await wsServer()
  const ws = new MessageWebSocket(url)
  ws.on('upgrade', () => ws.close())
  const result = await failure(ws)
  t.deepEqual(result, { message: 'WebSocket was closed before the connection was established', code: 1006, opened: false, state: 2 })
  await stop()
})

test("non-101: 'unexpected-response' (req, res) with a listener and no error; without one, error 'Unexpected server response'", async (t) => {
  const server = await httpAnswering(403, { 'X-Reason': 'no' })
  const url = `ws://127.0.0.1:${server.port}/p?q=1`
  // ws's reference.
  for (const [name, make] of CLIENTS) {
    const quiet = make(url, { headers: { 'X-Mine': '1' } })
    let errors = 0
    quiet.on('error', () => errors++)
    const [req, res] = (await once(quiet, 'unexpected-response')) as [{ method: string; path: string; getHeader(n: string): unknown }, HandshakeResponse]
    t.is(res.statusCode, 403, name)
    t.is(res.headers['x-reason'], 'no')
    t.is(req.method, 'GET')
    t.is(req.path, '/p?q=1')
    t.is(req.getHeader('x-mine'), '1')
    // The application ends it, as with ws.
    t.is(quiet.readyState, CONNECTING)
    quiet.terminate()
    t.is(await closed(quiet), 1006)
    t.is(errors, 1, 'only the abort error')

    const loud = make(url)
    t.deepEqual(await failure(loud), { message: 'Unexpected server response: 403', code: 1006, opened: false, state: CLOSING }, name)
  }
  server.stop()
})

test('origin and headers reach the server; handshakeTimeout fails a silent server', async (t) => {
  const { url, last, stop } = await wsServer()
  const ws = new MessageWebSocket(url, { origin: 'https://app.example', headers: { 'X-Token': 'abc' } })
  await once(ws, 'open')
  t.is(last().origin, 'https://app.example')
  t.is(last()['x-token'], 'abc')
  ws.close()
  await once(ws, 'close')
  await stop()

  const silent = await fakeServer(() => {})
  const started = Date.now()
  const slow = new MessageWebSocket(`ws://127.0.0.1:${silent.port}/`, { handshakeTimeout: 200 })
  const result = await failure(slow)
  t.is(result.code, 1006)
  t.false(result.opened)
  t.true(Date.now() - started < 3000)
  silent.close()
})

test('followRedirects: 3xx with Location is followed (redirect event); maxRedirects; off by default', async (t) => {
  const { url, stop } = await wsServer()
  const target = `${url}final`
  const hop = await httpAnswering(302, { Location: target })
  const start = `ws://127.0.0.1:${hop.port}/start`

  const ws = new MessageWebSocket(start, { followRedirects: true })
  const [redirected] = await once(ws, 'redirect')
  t.is(redirected, target)
  await once(ws, 'open')
  t.is(ws.url, target)
  ws.close()
  await once(ws, 'close')

  // Off by default: a 302 is an unexpected response, as ws.
  t.is((await failure(new MessageWebSocket(start))).message, 'Unexpected server response: 302')

  // A loop: one more than maxRedirects fails.
  const loop = await httpAnswering(301, { Location: '/again' })
  for (const [name, make] of CLIENTS) {
    const looping = make(`ws://127.0.0.1:${loop.port}/`, { followRedirects: true, maxRedirects: 2 })
    let hops = 0
    looping.on('redirect', () => hops++)
    const result = await failure(looping)
    t.is(result.message, 'Maximum redirects exceeded', name)
    t.is(hops, 2)
  }
  loop.stop()
  hop.stop()
  await stop()
})

test('autoPong: false leaves PINGs to the application (ping is emitted, no PONG until pong())', async (t) => {
  const { url, wss, stop } = await wsServer()
  const peer = once(wss, 'connection')
  const ws = new MessageWebSocket(url, { autoPong: false })
  await once(ws, 'open')
  const [server] = (await peer) as [WS]
  const pongs: string[] = []
  server.on('pong', (data: Buffer) => pongs.push(String(data)))
  const pinged = once(ws, 'ping')
  server.ping('x')
  t.is(String((await pinged)[0]), 'x')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.deepEqual(pongs, [], 'the runtime did not answer')
  ws.pong('mine')
  await once(server, 'pong')
  t.deepEqual(pongs, ['mine'])
  ws.close()
  await once(ws, 'close')
  await stop()
})

test('ws+unix: URLs pass the URL check (as ws) but cannot connect: error then close 1006', async (t) => {
  const ws = new MessageWebSocket('ws+unix:///tmp/none.sock')
  const result = await failure(ws)
  t.regex(result.message, /Unsupported URL scheme/)
  t.is(result.code, 1006)
  t.false(result.opened)
})

// ---- behaviours measured against ws's own test suite (scripts/ws-suite/run.mjs) ----

/** Opens a client made by `make` on `url`. */
async function opened(make: (url: string) => WS | MessageWebSocket, url: string): Promise<WS | MessageWebSocket> {
  const ws = make(url)
  await once(ws, 'open')
  return ws
}

test('null options (third argument) are taken as none, as ws; null protocols are invalid, as ws', async (t) => {
  const { url, stop } = await wsServer()
  const ws = new MessageWebSocket(url, undefined, null)
  await once(ws, 'open')
  t.is(ws.protocol, '')
  ws.close()
  await closed(ws)
  for (const make of [(u: string) => new WS(u, null as never), (u: string) => new MessageWebSocket(u, null as never)]) {
    t.throws(() => make(url), { instanceOf: SyntaxError, message: 'An invalid or duplicated subprotocol was specified' })
  }
  await stop()
})

test('pause() and resume() do nothing while CONNECTING or once CLOSED (isPaused as ws)', async (t) => {
  const { url, stop } = await wsServer()
  for (const [name, make] of CLIENTS) {
    const ws = make(url)
    ws.pause()
    t.false(ws.isPaused, name)
    ws.resume()
    await once(ws, 'open')
    ws.pause()
    t.true(ws.isPaused, name)
    ws.terminate()
    await closed(ws)
    ws.resume()
    t.true(ws.isPaused, `${name}: resume() after close leaves it paused`)
  }
  await stop()
})

test('ping/pong over 125 bytes: RangeError with ws message while OPEN; counted after close, as ws', async (t) => {
  const { url, stop } = await wsServer()
  for (const [name, make] of CLIENTS) {
    const ws = await opened(make, url)
    for (const method of ['ping', 'pong'] as const) {
      t.throws(() => ws[method](Buffer.alloc(126)), { instanceOf: RangeError, message: 'The data size must not be greater than 125 bytes' }, name)
      t.throws(() => ws[method](new Blob([Buffer.alloc(126)])), { instanceOf: RangeError }, `${name}: a Blob too`)
    }
    ws.close()
    t.notThrows(() => ws.ping(Buffer.alloc(126)), name)
    t.is(ws.bufferedAmount, 126, name)
    await closed(ws)
  }
  await stop()
})

test('bufferedAmount leaves the CLOSE frame out: 0 right after close(), then what is sent after it', async (t) => {
  const { url, stop } = await wsServer()
  for (const [name, make] of CLIENTS) {
    const ws = await opened(make, url)
    ws.close()
    t.is(ws.bufferedAmount, 0, name)
    const error = await new Promise<Error | undefined>((resolve) => ws.ping('hi', undefined, resolve))
    t.is(error?.message, 'WebSocket is not open: readyState 2 (CLOSING)', name)
    t.is(ws.bufferedAmount, 2, name)
    await closed(ws)
    ;(ws as MessageWebSocket).send(new Blob(['abc']))
    t.is(ws.bufferedAmount, 5, `${name}: a Blob counts its size`)
  }
  await stop()
})

test('send(Blob), ping(Blob): read, then sent in order with what was sent meanwhile; close() waits for it', async (t) => {
  const { url, wss, stop } = await wsServer()
  const got: string[] = []
  wss.on('connection', (peer) => {
    peer.on('message', (data, isBinary) => got.push(`${isBinary ? 'binary' : 'text'}:${String(data)}`))
    peer.on('ping', (data) => got.push(`ping:${String(data)}`))
  })
  for (const [name, make] of CLIENTS) {
    got.length = 0
    const ws = (await opened(make, url)) as MessageWebSocket
    const callbacks: string[] = []
    ws.send(new Blob(['one']), () => callbacks.push('blob'))
    t.is(ws.bufferedAmount, 3, `${name}: the Blob's size while it is read`)
    ws.send('two', () => callbacks.push('two'))
    ws.ping(new Blob(['three']))
    ws.send(Buffer.from('four'))
    ws.close()
    await closed(ws)
    t.deepEqual(got, ['binary:one', 'text:two', 'ping:three', 'binary:four'], name)
    t.deepEqual(callbacks, ['blob', 'two'], name)
  }
  await stop()
})

test('a Blob that cannot be read: error (NotReadableError) and close 1006, as ws', async (t) => {
  const fs = await import('node:fs')
  const os = await import('node:os')
  const path = await import('node:path')
  const { url, stop } = await wsServer()
  for (const [name, make] of CLIENTS) {
    const file = path.join(os.tmpdir(), `poco-ws-blob-${process.pid}-${name}.txt`)
    fs.writeFileSync(file, 'x'.repeat(64))
    const blob = await fs.openAsBlob(file)
    // A file changed after openAsBlob cannot be read any more.
    fs.writeFileSync(file, 'x'.repeat(32))
    const ws = (await opened(make, url)) as MessageWebSocket
    const errors: Error[] = []
    ws.on('error', (error: Error) => errors.push(error))
    let callbackError: Error | undefined
    ws.send(blob, (error?: Error) => (callbackError = error))
    t.is(await closed(ws), 1006, name)
    t.is(errors.length, 1, name)
    t.is(errors[0].name, 'NotReadableError', name)
    t.is(callbackError, errors[0], name)
    fs.unlinkSync(file)
  }
  await stop()
})

test('handshake failures carry ws messages (class and code kept), after an upgrade event', async (t) => {
  const { fakeServer, keyOf } = await import('./helpers')
  const accept = (head: string): string => WebSocket.computeAccept(keyOf(head))
  const cases: Array<[string, (head: string) => string, string[] | undefined, Record<string, unknown>?]> = [
    ['no Upgrade field', (head) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(head)}\r\n\r\n`, undefined],
    ['a wrong accept key', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n', undefined],
    [
      'a subprotocol none was requested',
      (head) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(head)}\r\nSec-WebSocket-Protocol: chat\r\n\r\n`,
      undefined,
    ],
    [
      'a subprotocol not offered',
      (head) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(head)}\r\nSec-WebSocket-Protocol: other\r\n\r\n`,
      ['chat'],
    ],
    ['none of the offered subprotocols', (head) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept(head)}\r\n\r\n`, ['chat']],
    ['the handshake timeout', () => '', undefined, { handshakeTimeout: 100 }],
  ]
  for (const [name, answer, protocols, options] of cases) {
    const fake = await fakeServer((head, socket) => {
      const text = answer(head)
      if (text) socket.end(text)
    })
    const results: Record<string, unknown> = {}
    for (const [which, make] of [
      ['ws', () => new WS(`ws://127.0.0.1:${fake.port}`, protocols, options)],
      ['poco', () => new MessageWebSocket(`ws://127.0.0.1:${fake.port}`, protocols, options)],
    ] as const) {
      const ws = make()
      const events: string[] = []
      ws.on('upgrade', () => events.push('upgrade'))
      const result = await failure(ws)
      results[which] = { message: result.message, code: result.code, events }
    }
    t.deepEqual(results.poco, results.ws, name)
    fake.close()
  }
})

test("'upgrade' and 'unexpected-response' give an http.IncomingMessage; req.abort() lets the response end", async (t) => {
  const { url, stop } = await wsServer()
  const ws = new MessageWebSocket(url)
  const open = once(ws, 'open')
  const [res] = (await once(ws, 'upgrade')) as [HandshakeResponse]
  t.true(res instanceof http.IncomingMessage)
  t.is(res.statusCode, 101)
  t.is(res.headers.upgrade, 'websocket')
  await open
  ws.close()
  await closed(ws)
  await stop()

  const server = await httpAnswering(401)
  const refused = new MessageWebSocket(`ws://127.0.0.1:${server.port}`)
  const [req, answer] = (await once(refused, 'unexpected-response')) as [{ abort(): void }, HandshakeResponse]
  t.true(answer instanceof http.IncomingMessage)
  t.is(answer.statusCode, 401)
  const ended = once(answer, 'end')
  req.abort()
  await ended
  refused.terminate()
  server.stop()
})

test('terminate(): CLOSING at once and close later; a Blob still being read fails its callbacks with ws message', async (t) => {
  const { url, stop } = await wsServer()
  for (const [name, make] of CLIENTS) {
    const ws = (await opened(make, url)) as MessageWebSocket
    const errors: Array<[string, string | undefined, number]> = []
    ws.send(new Blob(['foo']), (error) => errors.push(['blob', error?.message, ws.readyState]))
    ws.send('bar')
    ws.send('baz', (error) => errors.push(['baz', error?.message, ws.readyState]))
    let closedYet = false
    const code = closed(ws).then((c) => ((closedYet = true), c))
    ws.terminate()
    t.is(ws.readyState, CLOSING, name)
    await Promise.resolve()
    t.false(closedYet, `${name}: close is not emitted inside terminate()`)
    t.is(await code, 1006, name)
    const message = 'The socket was closed while the blob was being read'
    t.deepEqual(errors, [['blob', message, CLOSING], ['baz', message, CLOSING]], name)
  }
  await stop()
})

test("a 101 with extensions the client cannot use fails with ws's messages, with and without a deflate offer", async (t) => {
  const { keyOf } = await import('./helpers')
  const cases = [
    ['foo', false],
    ['foo;=', true],
    ['permessage-deflate; client_max_window_bits=7', true],
    ['foo', true],
  ] as const
  for (const [extensions, perMessageDeflate] of cases) {
    const fake = await fakeServer((head, socket) => {
      const accept = WebSocket.computeAccept(keyOf(head))
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`)
    })
    const messages: string[] = []
    const url = `ws://127.0.0.1:${fake.port}`
    for (const open of [() => new WS(url, { perMessageDeflate }), () => new MessageWebSocket(url, { perMessageDeflate })]) {
      const [error] = (await once(open() as WS, 'error')) as [Error]
      messages.push(error.message)
    }
    t.is(messages[1], messages[0], `${extensions} (deflate offered: ${perMessageDeflate})`)
    fake.close()
  }
})

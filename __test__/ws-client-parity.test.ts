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

// WebSocketServer attached to Node's own HTTP servers (ws's `server` and `noServer` modes): plain
// `http`, Express and Fastify from npm, `handleUpgrade`/`shouldHandle`/'headers', several servers
// on one port by path, ws's answers to refused upgrades, and `close()` leaving the user's server up.
// The engine takes a plain TCP connection over (descriptor duplicated, Node's socket destroyed).
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import express from 'express'
import Fastify from 'fastify'
import WS from 'ws'

import { MessageWebSocket, WebSocketServer } from '../index'
import { clientFrame, rawExchange, upgradeRequest } from './helpers'

function echo(wss: WebSocketServer): void {
  wss.on('connection', (ws: MessageWebSocket) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })))
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

async function roundTrip(url: string, text = 'hello'): Promise<string> {
  const ws = new WS(url)
  await once(ws, 'open')
  ws.send(text)
  const [data] = (await once(ws, 'message')) as [Buffer]
  ws.close()
  return data.toString()
}

async function get(port: number, path: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  return response.text()
}

test('{ server }: upgrades on a plain http.Server, and its HTTP requests still work at the same time', async (t) => {
  const server = http.createServer((_req, res) => res.end('plain http'))
  const wss = new WebSocketServer({ server })
  echo(wss)
  const port = await listen(server)
  const [echoed, body] = await Promise.all([roundTrip(`ws://127.0.0.1:${port}/`), get(port, '/page')])
  t.is(echoed, 'hello')
  t.is(body, 'plain http')
  t.deepEqual(wss.address().port, port)
  await new Promise<void>((resolve) => wss.close(() => resolve()))
  // ws: closing the WebSocketServer leaves the user's server running.
  t.is(await get(port, '/still'), 'plain http')
  server.close()
})

test('{ server }: the request given to connection is Node\'s IncomingMessage', async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  const port = await listen(server)
  const connected = once(wss, 'connection')
  const ws = new WS(`ws://127.0.0.1:${port}/room?x=1`, { headers: { 'X-Test': 'yes' } })
  const opened = once(ws, 'open')
  const [socket, req] = (await connected) as [MessageWebSocket, http.IncomingMessage]
  t.true(req instanceof http.IncomingMessage)
  t.is(req.url, '/room?x=1')
  t.is(req.headers['x-test'], 'yes')
  t.is(req.socket.remoteAddress, '127.0.0.1')
  t.is(typeof req.socket.remotePort, 'number')
  t.is(socket.readyState, MessageWebSocket.OPEN)
  await opened
  ws.close()
  wss.close()
  server.close()
})

test('Express: app.listen() gives the server; routes and WebSockets share the port', async (t) => {
  const app = express()
  app.get('/hello', (_req, res) => res.send('from express'))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const wss = new WebSocketServer({ server, path: '/ws' })
  echo(wss)
  const port = (server.address() as AddressInfo).port
  t.is(await roundTrip(`ws://127.0.0.1:${port}/ws`, 'express'), 'express')
  t.is(await get(port, '/hello'), 'from express')
  wss.close()
  server.close()
})

test('Fastify: fastify.server', async (t) => {
  const fastify = Fastify()
  fastify.get('/hello', async () => 'from fastify')
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const wss = new WebSocketServer({ server: fastify.server })
  echo(wss)
  const port = (fastify.server.address() as AddressInfo).port
  t.is(await roundTrip(`ws://127.0.0.1:${port}/`, 'fastify'), 'fastify')
  t.is(await get(port, '/hello'), 'from fastify')
  wss.close()
  await fastify.close()
})

test('noServer: two WebSocketServers on one http server, routed by path; others destroyed', async (t) => {
  const server = http.createServer()
  const one = new WebSocketServer({ noServer: true })
  const two = new WebSocketServer({ noServer: true })
  one.on('connection', (ws: MessageWebSocket) => ws.send('one'))
  two.on('connection', (ws: MessageWebSocket) => ws.send('two'))
  server.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url!, 'http://x')
    const wss = pathname === '/one' ? one : pathname === '/two' ? two : null
    if (!wss) return socket.destroy()
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })
  const port = await listen(server)
  for (const name of ['one', 'two']) {
    const ws = new WS(`ws://127.0.0.1:${port}/${name}`)
    const [data] = (await once(ws, 'message')) as [Buffer]
    t.is(data.toString(), name)
    ws.close()
  }
  t.throws(() => one.address(), { message: 'The server is operating in "noServer" mode' })
  server.close()
})

test('{ server, path }: several servers on one http server, each takes its own path', async (t) => {
  const server = http.createServer()
  const a = new WebSocketServer({ server, path: '/a' })
  const b = new WebSocketServer({ server, path: '/b' })
  a.on('connection', (ws: MessageWebSocket) => ws.send('a'))
  b.on('connection', (ws: MessageWebSocket) => ws.send('b'))
  const port = await listen(server)
  for (const name of ['a', 'b']) {
    const ws = new WS(`ws://127.0.0.1:${port}/${name}`)
    const [data] = (await once(ws, 'message')) as [Buffer]
    t.is(data.toString(), name)
    ws.close()
  }
  a.close()
  b.close()
  server.close()
})

test('frames sent right behind the upgrade request are not lost in the takeover', async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  echo(wss)
  const port = await listen(server)
  // One write: the request and two masked text frames, so Node reads frames with the head.
  const early = Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x81, Buffer.from('early1')), clientFrame(0x81, Buffer.from('early2'))])
  const bytes = await rawExchange(port, early, (b) => b.includes('early2'))
  const text = bytes.toString('latin1')
  t.true(text.startsWith('HTTP/1.1 101 Switching Protocols'))
  t.true(text.includes('early1') && text.includes('early2'))
  wss.close()
  server.close()
})

test("'headers' lets the listener add fields to the 101", async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    t.true(req instanceof http.IncomingMessage)
    t.is(headers[0], 'HTTP/1.1 101 Switching Protocols')
    headers.push('X-Added: 1')
  })
  const port = await listen(server)
  const ws = new WS(`ws://127.0.0.1:${port}/`)
  const opened = once(ws, 'open')
  const [response] = (await once(ws, 'upgrade')) as [http.IncomingMessage]
  t.is(response.headers['x-added'], '1')
  await opened
  ws.close()
  wss.close()
  server.close()
})

test('handleProtocols and verifyClient (both forms) on an attached server', async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
    verifyClient: (info, done) => {
      const req = info.req as http.IncomingMessage
      if (req.url === '/no') return done(false, 403, 'Forbidden here', { 'X-Why': 'test' })
      done(true)
    },
  })
  const port = await listen(server)
  const ws = new WS(`ws://127.0.0.1:${port}/`, ['x', 'chat'])
  await once(ws, 'open')
  t.is(ws.protocol, 'chat')
  ws.close()
  const refused = await rawExchange(port, upgradeRequest({}, 'GET /no HTTP/1.1'))
  t.regex(refused.toString('latin1'), /^HTTP\/1\.1 403 Forbidden\r\n[^]*X-Why: test[^]*\r\n\r\nForbidden here$/)
  const sync = new WebSocketServer({ noServer: true, verifyClient: () => false })
  const plain = http.createServer()
  plain.on('upgrade', (req, socket, head) => sync.handleUpgrade(req, socket, head, () => t.fail()))
  const plainPort = await listen(plain)
  t.regex((await rawExchange(plainPort, upgradeRequest())).toString('latin1'), /^HTTP\/1\.1 401 Unauthorized/)
  wss.close()
  server.close()
  plain.close()
})

test("refused upgrades get ws's answers on the Node socket", async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  wss.on('connection', () => t.fail('no connection'))
  const port = await listen(server)
  const noKey = await rawExchange(port, upgradeRequest({ 'Sec-WebSocket-Key': null }))
  t.regex(noKey.toString('latin1'), /^HTTP\/1\.1 400 /)
  const badVersion = await rawExchange(port, upgradeRequest({ 'Sec-WebSocket-Version': '8' }))
  t.regex(badVersion.toString('latin1'), /^HTTP\/1\.1 (400|426) [^]*Sec-WebSocket-Version: 13/i)
  const post = await rawExchange(port, upgradeRequest({}, 'POST / HTTP/1.1'))
  t.regex(post.toString('latin1'), /^HTTP\/1\.1 (400|405) /)
  wss.close()
  server.close()
})

test('handleUpgrade twice on one socket throws like ws', async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ noServer: true })
  const thrown = new Promise<Error>((resolve) => {
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, () => {})
      try {
        wss.handleUpgrade(req, socket, head, () => {})
      } catch (error) {
        resolve(error as Error)
      }
    })
  })
  const port = await listen(server)
  const ws = new WS(`ws://127.0.0.1:${port}/`)
  ws.on('error', () => {})
  t.regex((await thrown).message, /called more than once with the same socket/)
  ws.terminate()
  server.close()
})

test("close(): 'close' once; again, the callback gets ws's 'The server is not running'", async (t) => {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  await listen(server)
  let closes = 0
  wss.on('close', () => closes++)
  await new Promise<void>((resolve) => wss.close(() => resolve()))
  const error = await new Promise<Error | undefined>((resolve) => wss.close(resolve))
  t.is(error?.message, 'The server is not running')
  t.is(closes, 1)
  t.true(server.listening)
  server.close()
})

test('port together with server or noServer is a TypeError (ws)', (t) => {
  t.throws(() => new WebSocketServer({ port: 0, noServer: true }), { instanceOf: TypeError })
})

test('{ server } on an https.Server: the TLS socket is bridged through the engine (echo, large message, close)', async (t) => {
  const { makePki } = await import('./pki')
  const https = await import('node:https')
  const pki = makePki()
  t.teardown(() => pki.remove())
  const server = https.createServer({ cert: pki.server.certificate, key: pki.server.key }, (_req, res) => res.end('https page'))
  const wss = new WebSocketServer({ server: server as unknown as http.Server })
  echo(wss)
  const closed = new Promise<number>((resolve) => wss.on('connection', (ws: MessageWebSocket) => ws.on('close', (code: number) => resolve(code))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const ws = new WS(`wss://127.0.0.1:${port}/`, { rejectUnauthorized: false })
  await once(ws, 'open')
  ws.send('over tls')
  t.is(((await once(ws, 'message')) as [Buffer])[0].toString(), 'over tls')
  // Larger than the bridge's 1 MiB limits both ways: backpressure in and out.
  const big = Buffer.alloc(3 << 20, 7)
  ws.send(big)
  const [back] = (await once(ws, 'message')) as [Buffer]
  t.true(back.equals(big))
  ws.close(4001, 'bye')
  const [code] = (await once(ws, 'close')) as [number]
  t.is(code, 4001)
  t.is(await closed, 4001)
  wss.close()
  server.close()
})

test("'headers' on a server with its own port adds fields to the 101 too", async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('headers', (headers: string[]) => headers.push('X-Own-Port: yes'))
  await once(wss, 'listening')
  const ws = new WS(`ws://127.0.0.1:${wss.address().port}/`)
  const opened = once(ws, 'open')
  const [response] = (await once(ws, 'upgrade')) as [http.IncomingMessage]
  t.is(response.headers['x-own-port'], 'yes')
  await opened
  ws.close()
  wss.close()
})

test("the Node server's 'error' (a busy port) reaches the WebSocketServer's 'error' listener", async (t) => {
  const first = http.createServer()
  const port = await listen(first)
  const second = http.createServer()
  const wss = new WebSocketServer({ server: second })
  const failed = once(wss, 'error')
  second.listen(port, '127.0.0.1')
  const [error] = (await failed) as [NodeJS.ErrnoException]
  t.is(error.code, 'EADDRINUSE')
  wss.close()
  first.close()
})

test('frames that arrive while an async verifyClient runs are not lost in the takeover or the bridge', async (t) => {
  for (const bridged of [false, true]) {
    process.env.POCO_WS_ATTACH = bridged ? 'bridge' : ''
    const server = http.createServer()
    const wss = new WebSocketServer({ server, verifyClient: (_info, done) => void setTimeout(() => done(true), 150) })
    echo(wss)
    const port = await listen(server)
    const socket = (await import('node:net')).connect(port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write(upgradeRequest())
    // After Node parsed the request, before verifyClient answers.
    setTimeout(() => socket.write(clientFrame(0x81, Buffer.from('late frame'))), 50)
    const bytes = await new Promise<string>((resolve) => {
      let text = ''
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (text.includes('late frame')) resolve(text)
      })
      setTimeout(() => resolve(text), 2000)
    })
    t.true(bytes.includes('late frame'), bridged ? 'bridged' : 'taken over')
    socket.destroy()
    wss.close()
    server.close()
  }
  process.env.POCO_WS_ATTACH = ''
})

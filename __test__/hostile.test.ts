// Hostile peers (hostile-input-matrix.md §5.1, §5.3, §5.5, §5.6, §5.8): each bad connection is
// failed or cut alone, with a clear error, and the server keeps serving everyone else.
import { fork } from 'node:child_process'
import * as net from 'node:net'
import * as path from 'node:path'

import test from 'ava'

import {
  ConnectionResetException,
  ErrorCodes,
  HTTPServer,
  HTTPServerParams,
  WebSocket,
  WebSocketException,
  type WebSocketOptions,
} from '../index'
import { clientFrame, connect, echo, echoHandler, headComplete, rawExchange, rawUpgrade, readToEnd, startServer, type Handler } from './helpers'

/** A server whose handler records how each connection's receive loop ended. */
async function recordingServer(options: WebSocketOptions = {}): Promise<{ server: HTTPServer; outcomes: unknown[]; next: () => Promise<unknown> }> {
  const outcomes: unknown[] = []
  const waiting: Array<(outcome: unknown) => void> = []
  const record = (outcome: unknown): void => {
    const resolve = waiting.shift()
    if (resolve) resolve(outcome)
    else outcomes.push(outcome)
  }
  const handler: Handler = async (request, response) => {
    const ws = await WebSocket.accept(request, response, options)
    try {
      for (;;) {
        const frame = await ws.receiveFrame()
        if (frame.eof) return record('eof')
        await ws.sendFrame(frame.payload, frame.flags)
      }
    } catch (error) {
      record(error)
    } finally {
      ws.close()
    }
  }
  const server = await startServer(handler)
  const next = (): Promise<unknown> => (outcomes.length ? Promise.resolve(outcomes.shift()) : new Promise((resolve) => waiting.push(resolve)))
  return { server, outcomes, next }
}

/** The status code of the last CLOSE frame in raw server bytes. */
function closeCodeOf(bytes: Buffer): number | undefined {
  let at = 0
  let code: number | undefined
  while (at + 2 <= bytes.length) {
    const length = bytes[at + 1] & 0x7f
    if (length > 125) return code
    if ((bytes[at] & 0x0f) === 0x08 && length >= 2) code = bytes.readUInt16BE(at + 2)
    at += 2 + length
  }
  return code
}

async function stillServes(t: { is: (a: unknown, b: unknown) => void }, port: number): Promise<void> {
  const { ws } = await connect(port)
  await ws.sendFrame('still here')
  t.is((await ws.receiveFrame()).payload.toString(), 'still here')
  ws.close()
}

test('slowloris: a request trickling in gets 408 at the request timeout; a silent connection is closed; others are served', async (t) => {
  const params = new HTTPServerParams()
  params.setTimeout(300)
  const server = new HTTPServer({ createRequestHandler: () => ({ handleRequest: echoHandler }) }, '127.0.0.1:0', params)
  await server.start()
  const slow = net.connect(server.port(), '127.0.0.1')
  slow.on('error', () => {})
  const request = 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100)
  let i = 0
  const trickle = setInterval(() => slow.write(request[i++ % request.length]), 50)
  const silent = net.connect(server.port(), '127.0.0.1')
  silent.on('error', () => {})
  const started = Date.now()
  const [slowEnd, silentEnd] = await Promise.all([readToEnd(slow), readToEnd(silent), stillServes(t, server.port())])
  clearInterval(trickle)
  t.regex(slowEnd.bytes.toString('latin1'), /^HTTP\/1\.1 408 /)
  t.true(slowEnd.closed && silentEnd.closed)
  t.is(silentEnd.bytes.length, 0, 'nothing is answered to a connection that never spoke')
  t.true(Date.now() - started < 3000)
  await server.stop()
})

test('header flood: 10,000 fields or a 1 MiB field get 431, and the server keeps serving', async (t) => {
  const server = await startServer(echoHandler)
  const fields = Array.from({ length: 10000 }, (_, i) => `X-${i}: v`).join('\r\n')
  t.regex((await rawExchange(server.port(), `GET / HTTP/1.1\r\n${fields}\r\n\r\n`, headComplete)).toString('latin1'), /^HTTP\/1\.1 431 /)
  const huge = `GET / HTTP/1.1\r\nX-Big: ${'b'.repeat(1024 * 1024)}\r\n\r\n`
  t.regex((await rawExchange(server.port(), huge, headComplete)).toString('latin1'), /^HTTP\/1\.1 431 /)
  t.regex((await rawExchange(server.port(), 'GET / HTTP/1.1\r\nNo colon here\r\n\r\n', headComplete)).toString('latin1'), /^HTTP\/1\.1 400 /)
  await stillServes(t, server.port())
  await server.stop()
})

test('a declared length of 2^63-1 fails the connection with 1009 before any payload is buffered', async (t) => {
  const { server, next } = await recordingServer()
  const { socket, rest } = await rawUpgrade(server.port())
  const rss = process.memoryUsage().rss
  socket.write(Buffer.from([0x82, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 0xaa, 0xbb]))
  const { bytes, closed } = await readToEnd(socket, rest)
  t.is(closeCodeOf(bytes), 1009)
  t.true(closed)
  const error = (await next()) as WebSocketException
  t.true(error instanceof WebSocketException)
  t.is(error.code, ErrorCodes.WS_ERR_PAYLOAD_TOO_BIG)
  t.is(error.closeCode, 1009)
  t.true(process.memoryUsage().rss - rss < 64 * 1024 * 1024, 'no allocation driven by the declared length')
  await stillServes(t, server.port())
  await server.stop()
})

test('a flood of tiny fragments is cut at the fragment limit with 1009', async (t) => {
  const { server, next } = await recordingServer({ maxFragments: 1000 })
  const { socket, rest } = await rawUpgrade(server.port())
  const frames = [clientFrame(0x01, Buffer.from('a'))]
  for (let i = 0; i < 2000; i++) frames.push(clientFrame(0x00, Buffer.from('a')))
  socket.write(Buffer.concat(frames))
  const { bytes, closed } = await readToEnd(socket, rest)
  t.is(closeCodeOf(bytes), 1009)
  t.true(closed)
  const error = (await next()) as WebSocketException
  t.is(error.code, ErrorCodes.WS_ERR_MESSAGE_TOO_BIG)
  t.is(error.message, 'Message of more than 1000 fragments')
  await server.stop()
})

test('a handshake and a frame written one byte per TCP segment arrive whole', async (t) => {
  const server = await startServer(echoHandler)
  const socket = net.connect(server.port(), '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const { upgradeRequest } = await import('./helpers')
  const payload = Buffer.from('x'.repeat(300))
  const bytes = Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x82, payload)])
  const received = readToEnd(socket, Buffer.alloc(0), 10000)
  for (const byte of bytes) {
    await new Promise<void>((resolve) => socket.write(Buffer.from([byte]), () => resolve()))
    await new Promise((resolve) => setImmediate(resolve))
  }
  setTimeout(() => socket.end(), 200)
  const answer = (await received).bytes
  const body = answer.subarray(answer.indexOf('\r\n\r\n') + 4)
  t.deepEqual([...body.subarray(0, 4)], [0x82, 126, 1, 44], 'one BINARY frame of 300 bytes comes back')
  t.true(body.subarray(4, 304).equals(payload))
  await server.stop()
})

test('RST in the middle of a frame fails only that connection, with ConnectionResetException', async (t) => {
  const { server, next } = await recordingServer()
  const { socket } = await rawUpgrade(server.port())
  socket.write(clientFrame(0x82, Buffer.alloc(1000, 1)).subarray(0, 500), () => setTimeout(() => socket.resetAndDestroy(), 50))
  t.true((await next()) instanceof ConnectionResetException)
  await stillServes(t, server.port())
  await server.stop()
})

test('FIN without CLOSE: the end of input after a frame, WS_ERR_INCOMPLETE_FRAME inside one', async (t) => {
  const { server, next } = await recordingServer()
  const first = await rawUpgrade(server.port())
  first.socket.end(clientFrame(0x81, Buffer.from('bye')))
  t.is(await next(), 'eof')
  const second = await rawUpgrade(server.port())
  second.socket.end(clientFrame(0x81, Buffer.from('cut short')).subarray(0, 8))
  const error = (await next()) as WebSocketException
  t.is(error.code, ErrorCodes.WS_ERR_INCOMPLETE_FRAME)
  first.socket.destroy()
  second.socket.destroy()
  await server.stop()
})

test('invalid UTF-8 split across fragments fails with 1007 at the bad fragment, without waiting for the rest', async (t) => {
  const { server, next } = await recordingServer()
  const { socket, rest } = await rawUpgrade(server.port())
  // "κ" (CE BA) split across the first two fragments, then FF, which no UTF-8 sequence holds.
  socket.write(Buffer.concat([clientFrame(0x01, Buffer.from([0xce])), clientFrame(0x00, Buffer.from([0xba, 0xff]))]))
  const { bytes, closed } = await readToEnd(socket, rest)
  t.is(closeCodeOf(bytes), 1007)
  t.true(closed)
  const error = (await next()) as WebSocketException
  t.is(error.code, ErrorCodes.WS_ERR_INVALID_PAYLOAD)
  t.is(error.closeCode, 1007)
  await server.stop()
})

test.serial('10,000 idle connections held by one server: all upgraded and held; RSS per connection reported', async (t) => {
  const count = 10000
  let upgraded = 0
  let allUp: () => void = () => {}
  const ready = new Promise<void>((resolve) => (allUp = resolve))
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    if (++upgraded === count) allUp()
    await echo(ws).catch(() => ws.close())
  })
  global.gc?.()
  const before = process.memoryUsage().rss
  const clients = fork(path.join(__dirname, 'idle-clients.js'), [String(server.port()), String(count)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  const opened = new Promise<number>((resolve) => clients.on('message', (n) => resolve(Number(n))))
  t.is(await opened, count, 'every client got its 101')
  await ready
  t.is(upgraded, count)
  const perConnection = (process.memoryUsage().rss - before) / count
  t.log(`RSS per idle connection (server side, handler awaiting receiveFrame): ${(perConnection / 1024).toFixed(2)} KiB`)
  t.true(perConnection < 64 * 1024, 'an idle connection pins no large buffers')
  await stillServes(t, server.port())
  clients.kill()
  await new Promise((resolve) => clients.once('exit', resolve))
  await server.stop()
})

test('a violation right behind valid frames: the app still answers them, then the connection fails with 1002', async (t) => {
  const { server, next } = await recordingServer()
  const { socket, rest } = await rawUpgrade(server.port())
  socket.write(Buffer.concat([clientFrame(0x81, Buffer.from('hi')), clientFrame(0x81 | 0x20, Buffer.from('rsv2'))]))
  const { bytes, closed } = await readToEnd(socket, rest)
  t.deepEqual([...bytes.subarray(0, 4)], [0x81, 2, 0x68, 0x69], 'the echo of "hi" comes first')
  t.is(closeCodeOf(bytes), 1002)
  t.true(closed)
  const error = (await next()) as WebSocketException
  t.is(error.code, ErrorCodes.WS_ERR_PROTOCOL_VIOLATION)
  t.is(error.message, 'Reserved bits set without a negotiated extension (RFC 6455 §5.2)')
  await server.stop()
})

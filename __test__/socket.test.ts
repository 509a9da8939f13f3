// Socket members on a WebSocket: options, addresses, timeouts, non-blocking mode, poll/select,
// half-close, IPv6, errors (Poco spec §4.5, §7; issue 3).
import * as net from 'node:net'

import test from 'ava'

import {
  ConnectionResetException,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPServer,
  HTTPServerParams,
  InvalidAccessException,
  InvalidArgumentException,
  InvalidSocketException,
  IOException,
  SelectMode,
  SendFlags,
  Socket,
  SocketOptions,
  TimeoutException,
  WebSocket,
} from '../index'
import { connect, echo, echoHandler, fakeServer, headComplete, keyOf, rawExchange, serverFrame, startServer } from './helpers'

function switching(head: string): string {
  const accept = WebSocket.computeAccept(keyOf(head))
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
}

test('boolean options, buffer sizes, linger and raw options round-trip through the kernel', async (t) => {
  let serverNoDelay: boolean | undefined
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    serverNoDelay = ws.getNoDelay()
    await echo(ws)
  })
  const { ws } = await connect(server.port())
  t.true(ws.getNoDelay(), 'TCP_NODELAY is on by default, as in Poco 1.15')
  ws.setNoDelay(false)
  t.false(ws.getNoDelay())
  for (const [set, get] of [
    [ws.setKeepAlive, ws.getKeepAlive],
    [ws.setReuseAddress, ws.getReuseAddress],
    [ws.setReusePort, ws.getReusePort],
    [ws.setOOBInline, ws.getOOBInline],
  ] as const) {
    set.call(ws, true)
    t.true(get.call(ws), set.name)
    set.call(ws, false)
    t.false(get.call(ws), set.name)
  }
  ws.setSendBufferSize(65536)
  t.true(ws.getSendBufferSize() >= 65536, 'the OS may double SO_SNDBUF, never shrink it')
  ws.setReceiveBufferSize(32768)
  t.true(ws.getReceiveBufferSize() >= 32768)
  ws.setLinger(true, 5)
  t.deepEqual(ws.getLinger(), { on: true, seconds: 5 })
  ws.setLinger(false, 0)
  t.deepEqual(ws.getLinger(), { on: false, seconds: 0 })
  ws.setOption(SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE, 1)
  t.true(ws.getKeepAlive(), 'setOption reaches the same OS option')
  t.is(ws.getOption(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_NODELAY), 0)
  t.throws(() => ws.setSendBufferSize(-1), { instanceOf: InvalidArgumentException })
  t.false(ws.secure())
  await ws.shutdown()
  await ws.receiveFrame()
  t.true(serverNoDelay, 'on for the server side too')
  ws.close()
  await server.stop()
})

test('address() and peerAddress() are what the peer sees', async (t) => {
  let peer: { address: string; port: number } | undefined
  const fake = await fakeServer((head, socket) => {
    peer = { address: socket.remoteAddress!, port: socket.remotePort! }
    socket.write(switching(head))
  })
  const { ws } = await connect(fake.port)
  t.deepEqual([ws.address().host(), ws.address().port()], [peer!.address, peer!.port])
  t.deepEqual([ws.peerAddress().host(), ws.peerAddress().port()], ['127.0.0.1', fake.port])
  t.is(ws.peerAddress().toString(), `127.0.0.1:${fake.port}`)
  t.is(ws.address().family(), 'IPv4')
  ws.close()
  fake.close()
})

test('a receive timeout rejects with TimeoutException and consumes nothing of a frame', async (t) => {
  let raw: net.Socket | undefined
  const frame = serverFrame(0x82, Buffer.from('0123456789'))
  const fake = await fakeServer((head, socket) => {
    raw = socket
    socket.write(Buffer.concat([Buffer.from(switching(head)), frame.subarray(0, 5)]))
  })
  const { ws } = await connect(fake.port)
  t.is(ws.getReceiveTimeout(), 60000, 'Poco’s default, inherited from its HTTP layer')
  t.is(ws.getSendTimeout(), 60000)
  ws.setReceiveTimeout(200)
  t.is(ws.getReceiveTimeout(), 200)
  const started = Date.now()
  const error = await t.throwsAsync(ws.receiveFrame(), { instanceOf: TimeoutException })
  t.true(Date.now() - started >= 150)
  t.is(error?.displayText(), 'Timeout')
  raw!.write(frame.subarray(5))
  const received = await ws.receiveFrame()
  t.is(received.flags, 0x82)
  t.is(received.payload.toString(), '0123456789', 'the frame split by the timeout arrives whole')
  ws.close()
  raw!.destroy()
  fake.close()
})

test('non-blocking receive resolves -1 at once and the frame later; poll and available see queued frames', async (t) => {
  let raw: net.Socket | undefined
  const fake = await fakeServer((head, socket) => {
    raw = socket
    socket.write(switching(head))
  })
  const { ws } = await connect(fake.port)
  t.true(ws.getBlocking())
  ws.setBlocking(false)
  t.false(ws.getBlocking())
  t.deepEqual(await ws.receiveFrame(Buffer.alloc(16)), { n: -1, flags: 0, eof: false })
  t.false(await ws.poll(50, SelectMode.SELECT_READ))
  t.true(await ws.poll(0, SelectMode.SELECT_WRITE))
  setTimeout(() => raw!.write(serverFrame(0x81, Buffer.from('late'))), 50)
  t.true(await ws.poll(2000, SelectMode.SELECT_READ))
  t.is(ws.available(), 4)
  t.deepEqual(await ws.receiveFrame(Buffer.alloc(16)), { n: 4, flags: 0x81, eof: false })
  t.is(ws.available(), 0)
  ws.close()
  raw!.destroy()
  fake.close()
})

test('non-blocking send: -1 while the write buffer is full, a different length throws, the same length completes', async (t) => {
  let raw: net.Socket | undefined
  const fake = await fakeServer((head, socket) => {
    raw = socket
    socket.pause() // a peer that does not read
    socket.write(switching(head))
  })
  const { ws } = await connect(fake.port)
  ws.setSendBufferSize(4096)
  ws.setBlocking(false)
  const chunk = Buffer.alloc(1024 * 1024, 1)
  let result = 0
  for (let sent = 0; sent < 256 && result !== -1; sent++) result = await ws.sendFrame(chunk, SendFlags.FRAME_BINARY)
  t.is(result, -1, 'the kernel buffers filled up and the frame is pending')
  await t.throwsAsync(ws.sendFrame(Buffer.alloc(10), SendFlags.FRAME_BINARY), {
    instanceOf: InvalidArgumentException,
    message: 'Pending send buffer length mismatch',
  })
  t.is(await ws.sendFrame(chunk, SendFlags.FRAME_BINARY), -1, 'still pending while the peer does not read')
  raw!.resume()
  raw!.on('data', () => {})
  while (result === -1) {
    await ws.poll(5000, SelectMode.SELECT_WRITE)
    result = await ws.sendFrame(chunk, SendFlags.FRAME_BINARY)
  }
  t.is(result, chunk.length, 'repeating with the same length completes the frame')
  ws.close()
  raw!.destroy()
  fake.close()
})

test('select() leaves only the ready sockets in the lists', async (t) => {
  const peers: net.Socket[] = []
  const fake = await fakeServer((head, socket) => {
    peers.push(socket)
    socket.write(switching(head))
  })
  const a = (await connect(fake.port)).ws
  const b = (await connect(fake.port)).ws
  const read: Socket[] = [a, b]
  t.is(await Socket.select(read, [], [], 50), 0, 'nothing readable yet')
  setTimeout(() => peers[1].write(serverFrame(0x81, Buffer.from('b'))), 30)
  const readable: Socket[] = [a, b]
  t.is(await Socket.select(readable, [], [], 2000), 1, 'select returns once a socket is ready')
  t.true(readable.length === 1 && readable[0].equals(b))
  const both: Socket[] = [a, b]
  const writable: Socket[] = [a]
  t.is(await Socket.select(both, writable, [], 0), 2)
  t.true(both.length === 1 && both[0].equals(b))
  t.true(writable.length === 1 && writable[0].equals(a))
  for (const peer of peers) peer.destroy()
  a.close()
  b.close()
  fake.close()
})

test('shutdownSend flushes and sends FIN; later sends fail with IOException; receiving goes on', async (t) => {
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    const first = await ws.receiveFrame()
    const eof = await ws.receiveFrame()
    await ws.sendFrame(`${first.payload.toString()} then n=${eof.n} flags=${eof.flags}`)
    ws.close()
  })
  const { ws } = await connect(server.port())
  await ws.sendFrame('last')
  ws.shutdownSend()
  await t.throwsAsync(ws.sendFrame('too late'), { instanceOf: IOException, message: 'Broken pipe' })
  t.is((await ws.receiveFrame()).payload.toString(), 'last then n=0 flags=0')
  ws.close()
  await server.stop()
})

test('shutdownReceive ends input: receives give { n: 0, flags: 0, eof: true }', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  ws.shutdownReceive()
  t.deepEqual(await ws.receiveFrame(Buffer.alloc(4)), { n: 0, flags: 0, eof: true })
  ws.close()
  await server.stop()
})

test('IPv6: a server on [::1] and a client to ::1', async (t) => {
  t.true(Socket.supportsIPv6())
  t.true(Socket.supportsIPv4())
  const server = new HTTPServer({ createRequestHandler: () => ({ handleRequest: echoHandler }) }, '[::1]:0')
  await server.start()
  const response = new HTTPResponse()
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  const ws = await WebSocket.connect(new HTTPClientSession('::1', server.port()), request, response)
  t.is(ws.peerAddress().family(), 'IPv6')
  t.is(ws.peerAddress().toString(), `[::1]:${server.port()}`)
  await ws.sendFrame('over IPv6')
  t.is((await ws.receiveFrame()).payload.toString(), 'over IPv6')
  ws.close()
  await server.stop()
})

test('a peer reset rejects with ConnectionResetException', async (t) => {
  const fake = await fakeServer((head, socket) => {
    socket.write(switching(head), () => setTimeout(() => socket.resetAndDestroy(), 20))
  })
  const { ws } = await connect(fake.port)
  await t.throwsAsync(ws.receiveFrame(), { instanceOf: ConnectionResetException })
  ws.close()
  fake.close()
})

test('members Poco forbids on a WebSocket throw InvalidAccessException; closed sockets throw InvalidSocketException', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  t.throws(() => ws.connect(), { instanceOf: InvalidAccessException, message: 'Cannot connect() a WebSocketImpl' })
  t.throws(() => ws.bind(), { instanceOf: InvalidAccessException, message: 'Cannot bind() a WebSocketImpl' })
  t.throws(() => ws.listen(), { instanceOf: InvalidAccessException, message: 'Cannot listen() on a WebSocketImpl' })
  t.throws(() => ws.sendUrgent(), { instanceOf: InvalidAccessException, message: 'Cannot sendUrgent() on a WebSocketImpl' })
  ws.close()
  for (const member of [() => ws.address(), () => ws.getNoDelay(), () => ws.available(), () => ws.setBlocking(false)]) {
    t.throws(member, { instanceOf: InvalidSocketException })
  }
  await t.throwsAsync(ws.poll(10, SelectMode.SELECT_READ), { instanceOf: InvalidSocketException })
  await server.stop()
})

test('sendBytes sends a BINARY frame by default; receiveBytes resolves to the frame length', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  t.is(await ws.sendBytes(Buffer.from('raw')), 3)
  const buffer = Buffer.alloc(8)
  t.deepEqual(await ws.receiveFrame(buffer), { n: 3, flags: SendFlags.FRAME_BINARY, eof: false })
  await ws.sendBytes('text', SendFlags.FRAME_TEXT)
  t.is(await ws.receiveBytes(buffer), 4)
  ws.close()
  await server.stop()
})

test('HTTPServerParams: server name, keep-alive off, request timeout, max queued', async (t) => {
  const params = new HTTPServerParams()
  params.setServerName('poco-test')
  params.setKeepAlive(false)
  params.setTimeout(200)
  params.setMaxThreads(16)
  t.is(params.getMaxThreads(), 16)
  const server = new HTTPServer({ createRequestHandler: () => ({ handleRequest: (_q, r) => r.send('hi') }) }, '127.0.0.1:0', params)
  await server.start()
  const answer = (await rawExchange(server.port(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1')
  t.regex(answer, /\r\nServer: poco-test\r\n/)
  t.regex(answer, /\r\nConnection: Close\r\n/)
  t.regex(answer, /hi$/, 'the server closed the connection after the answer')
  const started = Date.now()
  const slow = (await rawExchange(server.port(), 'GET / HTTP/1.1\r\nHo')).toString('latin1')
  t.regex(slow, /^HTTP\/1\.1 408 /)
  t.true(Date.now() - started < 2500)
  await server.stop()

  const strict = new HTTPServerParams()
  strict.setFieldLimit(5)
  strict.setMaxHeaderSize(256)
  t.deepEqual([strict.getFieldLimit(), strict.getMaxHeaderSize()], [5, 256])
  const limited = new HTTPServer({ createRequestHandler: () => ({ handleRequest: (_q, r) => r.send('ok') }) }, '127.0.0.1:0', strict)
  await limited.start()
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('')
  t.regex((await rawExchange(limited.port(), `GET / HTTP/1.1\r\n${fields(5)}\r\n`, headComplete)).toString('latin1'), /^HTTP\/1\.1 200 /)
  t.regex((await rawExchange(limited.port(), `GET / HTTP/1.1\r\n${fields(6)}\r\n`, headComplete)).toString('latin1'), /^HTTP\/1\.1 431 /)
  t.regex((await rawExchange(limited.port(), `GET /${'p'.repeat(300)} HTTP/1.1\r\n\r\n`, headComplete)).toString('latin1'), /^HTTP\/1\.1 431 /)
  await limited.stop()

  const full = new HTTPServerParams()
  full.setMaxQueued(0)
  const refusing = new HTTPServer({ createRequestHandler: () => ({ handleRequest: (_q, r) => r.send('never') }) }, '127.0.0.1:0', full)
  await refusing.start()
  t.regex((await rawExchange(refusing.port(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', headComplete)).toString('latin1'), /^HTTP\/1\.1 503 /)
  await refusing.stop()
})

test('a blocking send waits for the write buffer and times out with TimeoutException', async (t) => {
  let raw: net.Socket | undefined
  const fake = await fakeServer((head, socket) => {
    raw = socket
    socket.pause()
    socket.write(switching(head))
  })
  const { ws } = await connect(fake.port)
  ws.setSendBufferSize(4096)
  ws.setSendTimeout(200)
  const chunk = Buffer.alloc(1024 * 1024)
  const error = await (async () => {
    for (let i = 0; i < 256; i++) await ws.sendFrame(chunk, SendFlags.FRAME_BINARY)
  })().catch((e: unknown) => e)
  t.true(error instanceof TimeoutException)
  ws.close()
  raw!.destroy()
  fake.close()
})

test('non-blocking: after a frame too big for the buffer, the next call with a big enough buffer works (Poco crashes)', async (t) => {
  const fake = await fakeServer((head, socket) => socket.write(Buffer.concat([Buffer.from(switching(head)), serverFrame(0x82, Buffer.alloc(100, 7))])))
  const { ws } = await connect(fake.port)
  ws.setBlocking(false)
  t.true(await ws.poll(2000, SelectMode.SELECT_READ))
  await t.throwsAsync(ws.receiveFrame(Buffer.alloc(10)), { message: 'Insufficient buffer for payload size 100' })
  const buffer = Buffer.alloc(100)
  t.deepEqual(await ws.receiveFrame(buffer), { n: 100, flags: 0x82, eof: false })
  t.true(buffer.equals(Buffer.alloc(100, 7)))
  ws.close()
  fake.close()
})

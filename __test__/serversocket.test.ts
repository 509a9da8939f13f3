// Poco's ServerSocket and SecureServerSocket: the constructors bind and listen synchronously (the
// real port at once; a busy port throws NetException there and then), bind/bind6 with
// SO_REUSEADDR, SO_REUSEPORT and IPV6_V6ONLY, the backlog queueing connections before a server
// starts, HTTPServer taking the very socket over (no second bind) on 127.0.0.1, ::1 and every
// interface, the lifecycle errors, and wss on a SecureServerSocket (certificates made at test time).
import { once } from 'node:events'
import * as net from 'node:net'

import test from 'ava'

import {
  ConnectionRefusedException,
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  HTTPServer,
  InvalidAccessException,
  InvalidArgumentException,
  InvalidSocketException,
  IOException,
  NetException,
  SecureServerSocket,
  ServerSocket,
  SocketAddress,
  WebSocket,
  WebSocketServer,
  type HTTPRequestHandlerFactory,
} from '../index'
import { echoHandler, type Handler } from './helpers'
import { makePki } from './pki'

const pki = makePki()
test.after.always(() => pki.remove())

const factoryOf = (handler: Handler): HTTPRequestHandlerFactory => ({ createRequestHandler: () => ({ handleRequest: handler }) })

async function serve(socket: ServerSocket, handler: Handler = echoHandler): Promise<HTTPServer> {
  const server = new HTTPServer(factoryOf(handler), socket)
  server.onError = () => {}
  await server.start()
  return server
}

/** Sends `text` to the echo server behind `session`; the echo, and what the client's socket was. */
async function echoThrough(session: HTTPClientSession, text: string): Promise<{ echoed: string; family: string; secure: boolean }> {
  const ws = await WebSocket.connect(session, new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1), new HTTPResponse())
  const seen = { family: ws.peerAddress().family(), secure: ws.secure() }
  await ws.sendFrame(text)
  const echoed = (await ws.receiveFrame()).payload.toString()
  ws.close()
  return { echoed, ...seen }
}

/** A raw TCP client: connects, sends one `Connection: close` request, collects the answer until the server closes. */
function rawRequest(port: number): { connected: Promise<void>; answer: Promise<string> } {
  const socket = net.connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  const closed = once(socket, 'close')
  const connected = once(socket, 'connect').then(() => {
    socket.write('GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n')
  })
  return { connected, answer: closed.then(() => Buffer.concat(chunks).toString()) }
}

test('ServerSocket(SocketAddress("127.0.0.1", 0)): the real port at once, and HTTPServer serves on that very socket', async (t) => {
  const socket = new ServerSocket(new SocketAddress('127.0.0.1', 0))
  const address = socket.address()
  t.is(address.host(), '127.0.0.1')
  t.not(address.port(), 0)
  t.false(socket.secure())
  const server = await serve(socket)
  t.is(server.port(), address.port(), 'taken over, not bound again')
  t.is((await echoThrough(new HTTPClientSession('127.0.0.1', address.port()), 'over 127.0.0.1')).echoed, 'over 127.0.0.1')
  await server.stop()
  t.is(socket.address().toString(), address.toString(), 'the address stays readable after the takeover')
})

test('ServerSocket("[::1]:0") with HTTPServer: a WebSocket echo over IPv6', async (t) => {
  const socket = new ServerSocket('[::1]:0')
  const port = socket.address().port()
  t.is(socket.address().toString(), `[::1]:${port}`)
  const server = await serve(socket)
  const { echoed, family } = await echoThrough(new HTTPClientSession('::1', port), 'over ::1')
  t.is(echoed, 'over ::1')
  t.is(family, 'IPv6')
  await server.stop()
})

test('ServerSocket(port) listens on every IPv4 interface', async (t) => {
  const socket = new ServerSocket(0)
  t.is(socket.address().host(), '0.0.0.0')
  const port = socket.address().port()
  const server = await serve(socket)
  t.is((await echoThrough(new HTTPClientSession('127.0.0.1', port), 'via loopback')).echoed, 'via loopback')
  await server.stop()
})

test('a busy port throws NetException synchronously (constructor, bind); HTTPServer.start and WebSocketServer report it', async (t) => {
  const first = new ServerSocket('127.0.0.1:0')
  const port = first.address().port()
  const error = t.throws(() => new ServerSocket(new SocketAddress('127.0.0.1', port)), {
    instanceOf: NetException,
    message: `Address already in use: 127.0.0.1:${port}`,
  })
  t.is(error?.constructor, NetException)
  t.is(error?.displayText(), `Net Exception: Address already in use: 127.0.0.1:${port}`)
  t.true((error?.code ?? 0) > 0, 'the OS error number')
  t.throws(() => new ServerSocket().bind(new SocketAddress('127.0.0.1', port), true), { instanceOf: NetException })
  await t.throwsAsync(new HTTPServer(factoryOf(echoHandler), `127.0.0.1:${port}`).start(), { instanceOf: NetException })
  const wss = new WebSocketServer({ host: '127.0.0.1', port })
  const [reported] = await once(wss, 'error')
  t.true(reported instanceof NetException)
  wss.close()
  first.close()
})

test('reuseAddress: SO_REUSEADDR as asked, and it lets a port whose last connection lingers in TIME_WAIT be bound again', async (t) => {
  const plain = new ServerSocket()
  plain.bind('127.0.0.1:0')
  t.false(plain.getReuseAddress())
  plain.setReuseAddress(true)
  t.true(plain.getReuseAddress())
  plain.close()
  const constructed = new ServerSocket('127.0.0.1:0')
  t.is(constructed.getReuseAddress(), process.platform !== 'win32', 'the constructors set it, as Poco (not on Windows)')
  constructed.close()

  const socket = new ServerSocket('127.0.0.1:0')
  const address = socket.address()
  const server = await serve(socket, (_request, response) => response.send('bye'))
  const { answer } = rawRequest(address.port())
  t.regex(await answer, /^HTTP\/1\.1 200[\s\S]*bye$/)
  await server.stop()
  // The server closed first: its side of the connection is in TIME_WAIT on the port.
  if (process.platform !== 'win32') {
    t.throws(() => new ServerSocket().bind(address, false), { instanceOf: NetException, message: /^Address already in use/ })
  }
  const again = new ServerSocket()
  again.bind(address, true)
  again.listen()
  t.is(again.address().port(), address.port())
  again.close()
})

const onLinux = process.platform === 'linux' ? test : test.skip
onLinux('reusePort: sockets that set SO_REUSEPORT share a port; one without it finds the port busy', (t) => {
  const a = new ServerSocket()
  a.bind('127.0.0.1:0', false, true)
  a.listen()
  t.true(a.getReusePort())
  const b = new ServerSocket()
  b.bind(a.address(), false, true)
  b.listen()
  t.is(b.address().port(), a.address().port())
  t.throws(() => new ServerSocket(a.address()), { instanceOf: NetException })
  b.setReusePort(false)
  t.false(b.getReusePort())
  a.close()
  b.close()
})

const withoutReusePort = process.platform === 'win32' ? test : test.skip
withoutReusePort('reusePort where the OS has no SO_REUSEPORT: asking for it throws IOException', (t) => {
  t.throws(() => new ServerSocket().bind('127.0.0.1:0', false, true), { instanceOf: IOException })
  const socket = new ServerSocket('127.0.0.1:0')
  t.false(socket.getReusePort())
  t.throws(() => socket.setReusePort(true), { instanceOf: IOException })
  socket.close()
})

test('bind6 with ipV6Only: only IPv6 clients; without it IPv4 clients reach the socket too', async (t) => {
  const only = new ServerSocket()
  only.bind6(0, true, true) // Poco's bind6(port, reuseAddress, ipV6Only)
  only.listen()
  t.is(only.address().host(), '::')
  const port = only.address().port()
  const server = await serve(only)
  t.is((await echoThrough(new HTTPClientSession('::1', port), 'v6')).echoed, 'v6')
  await t.throwsAsync(echoThrough(new HTTPClientSession('127.0.0.1', port), 'v4'), { instanceOf: ConnectionRefusedException })
  await server.stop()

  const dual = new ServerSocket()
  dual.bind6(new SocketAddress('::', 0), false, false, false) // bind6(address, reuseAddress, reusePort, ipV6Only)
  dual.listen()
  const dualServer = await serve(dual)
  t.is((await echoThrough(new HTTPClientSession('127.0.0.1', dual.address().port()), 'v4 on dual')).echoed, 'v4 on dual')
  await dualServer.stop()

  t.throws(() => new ServerSocket().bind6('127.0.0.1:0'), { instanceOf: InvalidArgumentException, message: 'SocketAddress must be an IPv6 address' })
})

test('the backlog: connections queue from construction on and are served once the server starts', async (t) => {
  const socket = new ServerSocket('127.0.0.1:0', 8)
  const early = [rawRequest(socket.address().port()), rawRequest(socket.address().port())]
  await Promise.all(early.map((request) => request.connected)) // TCP handshakes done: no server exists yet
  const server = await serve(socket, (_request, response) => response.send('queued'))
  for (const request of early) t.regex(await request.answer, /^HTTP\/1\.1 200[\s\S]*queued$/)
  await server.stop()

  t.throws(() => new ServerSocket('127.0.0.1:0', -1), { instanceOf: InvalidArgumentException, message: 'Invalid backlog: -1' })
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4 })
  await once(wss, 'listening')
  t.not(wss.address().port, 0)
  wss.close()
})

test('the lifecycle: unbound, bound but not listening, already served, acceptConnection', async (t) => {
  const unbound = new ServerSocket()
  t.throws(() => unbound.address(), { instanceOf: InvalidSocketException })
  t.throws(() => unbound.listen(), { instanceOf: InvalidSocketException })
  await t.throwsAsync(new HTTPServer(factoryOf(echoHandler), unbound).start(), { instanceOf: InvalidAccessException })

  const notListening = new ServerSocket()
  notListening.bind(new SocketAddress('127.0.0.1', 0))
  await t.throwsAsync(new HTTPServer(factoryOf(echoHandler), notListening).start(), { instanceOf: InvalidAccessException, message: /not listening/ })
  notListening.close()

  const socket = new ServerSocket('127.0.0.1:0')
  t.throws(() => socket.acceptConnection(), { instanceOf: InvalidAccessException })
  const server = await serve(socket)
  await t.throwsAsync(new HTTPServer(factoryOf(echoHandler), socket).start(), { instanceOf: InvalidAccessException })
  t.throws(() => socket.setReuseAddress(true), { instanceOf: InvalidAccessException })
  socket.close() // the server owns the socket: it goes on serving
  t.is((await echoThrough(new HTTPClientSession('127.0.0.1', server.port()), 'still here')).echoed, 'still here')
  await server.stop()
})

test('SecureServerSocket is a ServerSocket: bound at once, and serves wss', async (t) => {
  const context = new Context(Context.TLS_SERVER_USE, pki.server.keyFile, pki.server.certificateFile, '', Context.VERIFY_NONE)
  const trusting = new Context(Context.TLS_CLIENT_USE, { caLocation: pki.caFile })
  const socket = new SecureServerSocket(new SocketAddress('127.0.0.1', 0), 16, context)
  t.true(socket instanceof ServerSocket)
  t.true(socket.secure())
  t.is(socket.context(), context)
  const port = socket.address().port()
  t.not(port, 0)
  const server = await serve(socket)
  t.is(server.port(), port)
  const { echoed, secure } = await echoThrough(new HTTPSClientSession('localhost', port, trusting), 'over TLS')
  t.is(echoed, 'over TLS')
  t.true(secure)
  await server.stop()

  const later = new SecureServerSocket(context) // Poco's SecureServerSocket(context): bind and listen follow
  later.bind('127.0.0.1:0', true)
  later.listen()
  const laterServer = await serve(later)
  t.is((await echoThrough(new HTTPSClientSession('localhost', later.address().port(), trusting), 'bound later')).echoed, 'bound later')
  await laterServer.stop()

  t.throws(() => new SecureServerSocket('127.0.0.1:0', trusting), { instanceOf: InvalidArgumentException })
})

// wss: our client and server over TLS, the ws package on Node's https in both directions, and
// every failure as a typed exception naming its reason. Certificates are made at test time.
import { once } from 'node:events'
import * as https from 'node:https'
import * as net from 'node:net'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import WS, { WebSocketServer } from 'ws'

import {
  CertificateValidationException,
  Context,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  HTTPServer,
  InvalidArgumentException,
  SecureServerSocket,
  SendFlags,
  SSLConnectionUnexpectedlyClosedException,
  SSLContextException,
  SSLException,
  WebSocket,
  WebSocketException,
  type HTTPServerRequest,
} from '../index'
import { echo, startServer, type Handler } from './helpers'
import { makePki, type Leaf } from './pki'

const pki = makePki()
test.after.always(() => pki.remove())

const serverContext = (leaf: Leaf, mode = Context.VERIFY_NONE, caLocation = ''): Context =>
  new Context(Context.TLS_SERVER_USE, leaf.keyFile, leaf.certificateFile, caLocation, mode)

const trustingContext = new Context(Context.TLS_CLIENT_USE, { caLocation: pki.caFile })

/** Our HTTPS server on 127.0.0.1 with `leaf`'s certificate. */
async function startSecureServer(handler: Handler, context = serverContext(pki.server)): Promise<HTTPServer> {
  const server = new HTTPServer({ createRequestHandler: () => ({ handleRequest: handler }) }, new SecureServerSocket('127.0.0.1:0', context))
  server.onError = () => {}
  await server.start()
  return server
}

/** Accepts, tells the client whether the request and the socket were secure, then echoes. */
const reportingEcho: Handler = async (request: HTTPServerRequest, response) => {
  const ws = await WebSocket.accept(request, response)
  await ws.sendFrame(`request.secure=${request.secure()} ws.secure=${ws.secure()}`)
  await echo(ws)
}

async function connect(session: HTTPClientSession): Promise<{ ws: WebSocket; response: HTTPResponse }> {
  const response = new HTTPResponse()
  const ws = await WebSocket.connect(session, new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1), response)
  return { ws, response }
}

async function roundTrip(t: { is: (a: unknown, b: unknown) => void; true: (v: boolean) => void }, ws: WebSocket): Promise<void> {
  const big = Buffer.alloc(256 * 1024, 5)
  await ws.sendFrame(big, SendFlags.FRAME_BINARY)
  t.true((await ws.receiveFrame()).payload.equals(big))
  await ws.shutdown()
  t.is((await ws.receiveFrame()).flags, 0x88)
  ws.close()
}

test('our wss client ↔ our wss server, by name and by address: secure() on both ends, frames both ways', async (t) => {
  const server = await startSecureServer(reportingEcho)
  for (const host of ['localhost', '127.0.0.1']) {
    const { ws, response } = await connect(new HTTPSClientSession(host, server.port(), trustingContext))
    t.is(response.getStatus(), 101)
    t.true(ws.secure())
    t.is((await ws.receiveFrame()).payload.toString(), 'request.secure=true ws.secure=true')
    t.is(ws.peerAddress().port(), server.port(), 'socket members reach the TCP socket under TLS')
    t.true(ws.getNoDelay())
    await roundTrip(t, ws)
  }
  await server.stop()
})

test('plain and TLS listeners side by side in one process', async (t) => {
  const plain = await startServer(reportingEcho)
  const secure = await startSecureServer(reportingEcho)
  const a = await connect(new HTTPClientSession('127.0.0.1', plain.port()))
  const b = await connect(new HTTPSClientSession('localhost', secure.port(), trustingContext))
  t.false(a.ws.secure())
  t.is((await a.ws.receiveFrame()).payload.toString(), 'request.secure=false ws.secure=false')
  t.is((await b.ws.receiveFrame()).payload.toString(), 'request.secure=true ws.secure=true')
  await roundTrip(t, a.ws)
  await roundTrip(t, b.ws)
  await Promise.all([plain.stop(), secure.stop()])
})

test('our wss client ↔ a ws server on Node https (CA given as PEM text)', async (t) => {
  const httpsServer = https.createServer({ key: pki.server.key, cert: pki.server.certificate })
  const wss = new WebSocketServer({ server: httpsServer })
  wss.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary })))
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve))
  const context = new Context(Context.TLS_CLIENT_USE, { ca: pki.ca })
  const { ws } = await connect(new HTTPSClientSession('localhost', (httpsServer.address() as AddressInfo).port, context))
  t.true(ws.secure())
  await ws.sendFrame('hello over TLS')
  t.deepEqual(await ws.receiveFrame(), { n: 14, flags: SendFlags.FRAME_TEXT, eof: false, payload: Buffer.from('hello over TLS') })
  await roundTrip(t, ws)
  wss.close()
  httpsServer.close()
})

test('a ws client ↔ our wss server', async (t) => {
  const server = await startSecureServer(reportingEcho)
  const client = new WS(`wss://localhost:${server.port()}/`, { ca: pki.ca })
  const [first] = await once(client, 'message')
  t.is(String(first), 'request.secure=true ws.secure=true')
  client.send(Buffer.from([1, 2, 3]))
  const [echoed] = await once(client, 'message')
  t.deepEqual([...(echoed as Buffer)], [1, 2, 3])
  const closed = once(client, 'close')
  client.close(4000, 'bye')
  t.is((await closed)[0], 4000)
  await server.stop()
})

test('certificate failures reject with CertificateValidationException naming the reason; the server keeps serving', async (t) => {
  const cases: Array<[Leaf, string, Context, RegExp]> = [
    [pki.server, '127.0.0.1', Context.defaultClientContext(), /^Unacceptable certificate from 127\.0\.0\.1: unknown issuer/],
    [pki.untrusted, 'localhost', trustingContext, /unknown issuer/],
    [pki.wrongHost, 'localhost', trustingContext, /hostname mismatch: the certificate is for example\.com, not localhost/],
    [pki.expired, 'localhost', trustingContext, /certificate expired \(not valid after /],
  ]
  for (const [leaf, host, context, reason] of cases) {
    const server = await startSecureServer(reportingEcho, serverContext(leaf))
    const response = new HTTPResponse()
    const error = await t.throwsAsync(
      WebSocket.connect(new HTTPSClientSession(host, server.port(), context), new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1), response),
      { instanceOf: CertificateValidationException, message: reason },
    )
    t.true(error instanceof SSLException)
    t.is(error?.name, 'Certificate validation error')
    t.is(response.getStatus(), 200, 'no HTTP response: the default status is untouched')
    // VERIFY_NONE takes the same server, and the server still serves.
    const { ws } = await connect(new HTTPSClientSession(host, server.port(), new Context(Context.TLS_CLIENT_USE, { verificationMode: Context.VERIFY_NONE })))
    t.is((await ws.receiveFrame()).payload.toString(), 'request.secure=true ws.secure=true')
    ws.close()
    await server.stop()
  }
})

test('plain client to the TLS port: a 400 saying so; TLS client to a plain port: SSLException', async (t) => {
  const secure = await startSecureServer(reportingEcho)
  const plain = await startServer(reportingEcho)
  const response = new HTTPResponse()
  await t.throwsAsync(
    WebSocket.connect(new HTTPClientSession('127.0.0.1', secure.port()), new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1), response),
    { instanceOf: WebSocketException, message: 'Cannot upgrade to WebSocket connection: The plain HTTP request was sent to HTTPS port' },
  )
  t.is(response.getStatus(), 400)
  await t.throwsAsync(connect(new HTTPSClientSession('127.0.0.1', plain.port(), trustingContext)), {
    instanceOf: SSLException,
    message: /^127\.0\.0\.1 did not answer with TLS/,
  })
  // Both keep serving their own kind.
  const a = await connect(new HTTPSClientSession('localhost', secure.port(), trustingContext))
  const b = await connect(new HTTPClientSession('127.0.0.1', plain.port()))
  t.is((await a.ws.receiveFrame()).payload.toString(), 'request.secure=true ws.secure=true')
  t.is((await b.ws.receiveFrame()).payload.toString(), 'request.secure=false ws.secure=false')
  a.ws.close()
  b.ws.close()
  await Promise.all([secure.stop(), plain.stop()])
})

test('a server that closes during the TLS handshake: SSLConnectionUnexpectedlyClosedException', async (t) => {
  const silent = await new Promise<{ port: number; close: () => void }>((resolve) => {
    const s = net.createServer((socket) => socket.once('data', () => socket.end())).listen(0, '127.0.0.1', () =>
      resolve({ port: (s.address() as AddressInfo).port, close: () => s.close() }),
    )
  })
  const error = await t.throwsAsync(connect(new HTTPSClientSession('127.0.0.1', silent.port, trustingContext)), {
    instanceOf: SSLConnectionUnexpectedlyClosedException,
    message: '127.0.0.1 closed the connection during the TLS handshake',
  })
  t.is(error?.name, 'SSL connection unexpectedly closed')
  t.true(error instanceof SSLException)
  silent.close()
})

test('VERIFY_STRICT server: a client certificate is required and checked', async (t) => {
  const server = await startSecureServer(reportingEcho, serverContext(pki.server, Context.VERIFY_STRICT, pki.caFile))
  await t.throwsAsync(connect(new HTTPSClientSession('localhost', server.port(), trustingContext)), {
    instanceOf: SSLException,
    message: /requires a client certificate/,
  })
  const withCertificate = new Context(Context.TLS_CLIENT_USE, pki.client.keyFile, pki.client.certificateFile, pki.caFile)
  const { ws } = await connect(new HTTPSClientSession('localhost', server.port(), withCertificate))
  t.is((await ws.receiveFrame()).payload.toString(), 'request.secure=true ws.secure=true')
  ws.close()
  // Node's TLS as the client, with and without its certificate.
  const good = new WS(`wss://localhost:${server.port()}/`, { ca: pki.ca, cert: pki.client.certificate, key: pki.client.key })
  t.is(String((await once(good, 'message'))[0]), 'request.secure=true ws.secure=true')
  good.close()
  await server.stop()
})

test('Context: Poco usages and modes, files or PEM, errors as SSLContextException', (t) => {
  const client = new Context(Context.TLSV1_3_CLIENT_USE, '', '', pki.caFile, Context.VERIFY_STRICT)
  t.false(client.isForServerUse())
  t.is(client.usage(), Context.TLSV1_3_CLIENT_USE)
  t.is(client.verificationMode(), Context.VERIFY_STRICT)
  t.true(new Context(Context.SERVER_USE, { privateKey: pki.server.key, certificate: pki.server.certificate }).isForServerUse())
  t.true(new Context(Context.TLS_CLIENT_USE, { caLocation: pki.dir }).verificationMode() === Context.VERIFY_RELAXED, 'a CA directory')

  t.throws(() => new Context(Context.TLS_SERVER_USE, {}), { instanceOf: SSLContextException, message: 'A server Context needs a certificate and a private key' })
  t.throws(() => new Context(Context.TLS_CLIENT_USE, { caLocation: '/nonexistent/ca.pem' }), { instanceOf: SSLContextException, message: /^Cannot read the CA location: \/nonexistent\/ca\.pem/ })
  t.throws(() => new Context(Context.TLS_SERVER_USE, '/nonexistent.key', pki.server.certificateFile, ''), { instanceOf: SSLContextException, message: /Cannot read the private key file/ })
  t.throws(() => new Context(Context.TLS_SERVER_USE, { certificate: pki.server.certificate, privateKey: 'junk' }), { instanceOf: SSLContextException, message: /No private key found/ })
  const error = t.throws(() => new Context(Context.TLS_SERVER_USE, { verificationMode: Context.VERIFY_STRICT, certificate: pki.server.certificate, privateKey: pki.server.key }))
  t.is(error?.name, 'SSL context exception')
  t.throws(() => new SecureServerSocket(0, trustingContext), { instanceOf: InvalidArgumentException })
})

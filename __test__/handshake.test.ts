// Opening handshake on both sides, with Poco's codes and messages (Poco spec §3, §5).
import test from 'ava'

import {
  ConnectionRefusedException,
  ErrorCodes,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPStatus,
  MessageException,
  NoMessageException,
  WebSocket,
  WebSocketException,
  type WebSocketOptions,
} from '../index'
import { connect, echo, fakeServer, headComplete, keyOf, rawExchange, startServer, upgradeRequest } from './helpers'

/** Poco's sample handler: accept, or answer 400 (+ Sec-WebSocket-Version for code 3) and record the error. */
async function startRecordingServer(options: WebSocketOptions = {}): Promise<{ port: number; errors: WebSocketException[]; stop: () => Promise<void> }> {
  const errors: WebSocketException[] = []
  const server = await startServer(async (request, response) => {
    try {
      await echo(await WebSocket.accept(request, response, options))
    } catch (error) {
      if (!(error instanceof WebSocketException)) throw error
      errors.push(error)
      if (error.code === ErrorCodes.WS_ERR_HANDSHAKE_UNSUPPORTED_VERSION) {
        response.set('Sec-WebSocket-Version', WebSocket.WEBSOCKET_VERSION)
      }
      response.setStatusAndReason(HTTPStatus.HTTP_BAD_REQUEST)
      response.setContentLength(0)
      response.send()
    }
  })
  return { port: server.port(), errors, stop: () => server.stop() }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

/** [name, field overrides, Poco code, message, request line] */
const rejected: Array<[string, Record<string, string | null>, ErrorCodes, string, string?]> = [
  ['no Upgrade field', { Upgrade: null }, 1, 'No WebSocket handshake'],
  ['Upgrade: websocket, foo', { Upgrade: 'websocket, foo' }, 1, 'No WebSocket handshake'],
  ['no Connection field', { Connection: null }, 1, 'No WebSocket handshake'],
  ['Connection: keep-alive', { Connection: 'keep-alive' }, 1, 'No WebSocket handshake'],
  ['no Sec-WebSocket-Version', { 'Sec-WebSocket-Version': null }, 2, 'Missing Sec-WebSocket-Version in handshake request'],
  ['Sec-WebSocket-Version: 8', { 'Sec-WebSocket-Version': '8' }, 3, 'Unsupported WebSocket version requested: 8'],
  ['no Sec-WebSocket-Key', { 'Sec-WebSocket-Key': null }, 4, 'Missing Sec-WebSocket-Key in handshake request'],
  ['blank Sec-WebSocket-Key', { 'Sec-WebSocket-Key': ' ' }, 4, 'Missing Sec-WebSocket-Key in handshake request'],
  // Strict checks (the default), RFC 6455 §4.2.1 and §11.3.1; Poco checks none of these.
  ['POST', {}, 1, 'Invalid HTTP method POST (RFC 6455 §4.2.1: GET)', 'POST / HTTP/1.1'],
  ['DELETE', {}, 1, 'Invalid HTTP method DELETE (RFC 6455 §4.2.1: GET)', 'DELETE / HTTP/1.1'],
  ['HTTP/1.0', {}, 1, 'Invalid HTTP version (RFC 6455 §4.2.1: HTTP/1.1 or higher)', 'GET / HTTP/1.0'],
  ['no Host', { Host: null }, 1, 'Missing Host header (RFC 6455 §4.2.1)'],
  ['a key that is not base64', { 'Sec-WebSocket-Key': 'not base64 at all!!!!!==' }, 4, 'Invalid Sec-WebSocket-Key header (RFC 6455 §4.2.1: base64 of 16 bytes)'],
  ['a key of 15 bytes', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25j' }, 4, 'Invalid Sec-WebSocket-Key header (RFC 6455 §4.2.1: base64 of 16 bytes)'],
  ['a duplicated key', {}, 4, 'Duplicated Sec-WebSocket-Key header (RFC 6455 §11.3.1)', `GET / HTTP/1.1\r\nSec-WebSocket-Key: ${KEY}`],
  ['a Sec-WebSocket-Protocol that is not a token list', { 'Sec-WebSocket-Protocol': `b${' '.repeat(15_000)}x` }, 1, 'Invalid Sec-WebSocket-Protocol header (RFC 6455 §4.1)'],
]

for (const [name, overrides, code, message, requestLine] of rejected) {
  test(`server: ${name} → WebSocketException ${code} "${message.slice(0, 60)}", no 101, the handler answers 400`, async (t) => {
    const server = await startRecordingServer()
    const answer = (await rawExchange(server.port, upgradeRequest(overrides, requestLine), headComplete)).toString('latin1')
    t.regex(answer, /^HTTP\/1\.[01] 400 Bad Request\r\n/)
    t.notRegex(answer, /101/)
    t.is(server.errors.length, 1)
    t.is(server.errors[0].code, code)
    t.is(server.errors[0].message, message)
    t.is(server.errors[0].displayText(), `WebSocket Exception: ${message}`)
    if (code === 3) t.regex(answer, /\r\nSec-WebSocket-Version: 13\r\n/)
    await server.stop()
  })
}

const accepted: Array<[string, Record<string, string | null>, string?, WebSocketOptions?]> = [
  ['Connection: keep-alive, Upgrade (a token list)', { Connection: 'keep-alive, Upgrade' }],
  ['Upgrade: WebSocket (any case)', { Upgrade: 'WebSocket' }],
  ['with strict: false, a POST over HTTP/1.0 without Host (Poco checks none of these)', { Host: null }, 'POST /chat HTTP/1.0', { strict: false }],
]

for (const [name, overrides, requestLine, options] of accepted) {
  test(`server: ${name} is accepted with the RFC accept value`, async (t) => {
    const server = await startRecordingServer(options)
    const answer = (await rawExchange(server.port, upgradeRequest(overrides, requestLine), headComplete)).toString('latin1')
    t.regex(answer, /^HTTP\/1\.[01] 101 Switching Protocols\r\n/)
    t.regex(answer, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/)
    t.regex(answer, /\r\nUpgrade: websocket\r\n/)
    t.regex(answer, /\r\nConnection: Upgrade\r\n/)
    t.notRegex(answer, /Content-Length/i, 'no Content-Length in the 101')
    t.deepEqual(server.errors, [])
    await server.stop()
  })
}

test('server: fields the handler sets before accept are sent with the 101', async (t) => {
  const server = await startServer(async (request, response) => {
    response.set('Sec-WebSocket-Protocol', 'chat')
    await echo(await WebSocket.accept(request, response))
  })
  const answer = (await rawExchange(server.port(), upgradeRequest(), headComplete)).toString('latin1')
  t.regex(answer, /^HTTP\/1\.1 101 /)
  t.regex(answer, /\r\nSec-WebSocket-Protocol: chat\r\n/)
  await server.stop()
})

test('server: a handler that throws gets a 500; malformed requests get a 400 without reaching a handler', async (t) => {
  let calls = 0
  const server = await startServer(() => {
    calls++
    throw new Error('boom')
  })
  const answer = (await rawExchange(server.port(), 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toString('latin1')
  t.regex(answer, /^HTTP\/1\.1 500 Internal Server Error\r\n/)
  t.is(calls, 1)
  const garbage = (await rawExchange(server.port(), 'NOT HTTP AT ALL\r\n\r\n')).toString('latin1')
  t.regex(garbage, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.is(calls, 1)
  await server.stop()
})

test('server: plain HTTP requests are answered, with keep-alive', async (t) => {
  const server = await startServer((request, response) => {
    response.setContentType('text/plain')
    response.send(`${request.getMethod()} ${request.getURI()} ${request.getBody().toString()}`)
  })
  const url = `http://127.0.0.1:${server.port()}`
  const first = await fetch(`${url}/hello?x=1`)
  t.is(first.status, 200)
  t.is(await first.text(), 'GET /hello?x=1 ')
  const second = await fetch(`${url}/post`, { method: 'POST', body: 'payload' })
  t.is(await second.text(), 'POST /post payload')
  const twoOnOneConnection = (
    await rawExchange(server.port(), 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  ).toString('latin1')
  t.regex(twoOnOneConnection, /GET \/a [\s\S]*HTTP\/1\.1 200 OK[\s\S]*GET \/b $/)
  await server.stop()
})

test('client: the request carries the user fields first, then the upgrade fields and Host', async (t) => {
  let head = ''
  const fake = await fakeServer((requestHead, socket) => {
    head = requestHead
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
  })
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/chat', HTTPMessage.HTTP_1_1)
  request.set('Origin', 'http://example.com')
  await t.throwsAsync(WebSocket.connect(new HTTPClientSession('127.0.0.1', fake.port), request, new HTTPResponse()))
  const lines = head.split('\r\n')
  t.is(lines[0], 'GET /chat HTTP/1.1')
  t.deepEqual(
    lines.slice(1, 7).map((line) => line.split(':')[0]),
    ['Origin', 'Connection', 'Upgrade', 'Sec-WebSocket-Version', 'Sec-WebSocket-Key', 'Host'],
  )
  t.true(lines.includes('Sec-WebSocket-Version: 13'))
  t.true(lines.includes(`Host: 127.0.0.1:${fake.port}`))
  t.regex(keyOf(head), /^[A-Za-z0-9+/]{22}==$/)
  fake.close()
})

const clientFailures: Array<[string, (key: string) => string, ErrorCodes, string, number]> = [
  [
    'a wrong Sec-WebSocket-Accept',
    () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: d3JvbmcK\r\n\r\n',
    5,
    'Invalid or missing Sec-WebSocket-Accept header in handshake response',
    101,
  ],
  [
    'a 101 without Connection: Upgrade',
    (key) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${WebSocket.computeAccept(key)}\r\n\r\n`,
    1,
    'No Connection: Upgrade header in handshake response',
    101,
  ],
  [
    'a 101 without Upgrade: websocket',
    (key) => `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${WebSocket.computeAccept(key)}\r\n\r\n`,
    1,
    'No Upgrade: websocket header in handshake response',
    101,
  ],
  ['a 401', () => 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n', 6, 'Not authorized', 401],
  ['a 404', () => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', 1, 'Cannot upgrade to WebSocket connection: Not Found', 404],
  ['a 200', () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 1, 'The server does not understand the WebSocket protocol', 200],
]

for (const [name, answer, code, message, status] of clientFailures) {
  test(`client: ${name} → WebSocketException ${code} "${message}", response filled`, async (t) => {
    const fake = await fakeServer((head, socket) => socket.end(answer(keyOf(head))))
    const response = new HTTPResponse()
    const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
    const error = await t.throwsAsync(WebSocket.connect(new HTTPClientSession('127.0.0.1', fake.port), request, response), {
      instanceOf: WebSocketException,
    })
    t.is(error?.code, code)
    t.is(error?.message, message)
    t.is(response.getStatus(), status)
    fake.close()
  })
}

test('client: an answer that is not HTTP → MessageException', async (t) => {
  const fake = await fakeServer((_head, socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'))
  const error = await t.throwsAsync(connect(fake.port), { instanceOf: MessageException })
  t.regex(error?.displayText() ?? '', /^Malformed message: /)
  fake.close()
})

test('client: a connection closed without an answer → NoMessageException; nobody listening → ConnectionRefusedException', async (t) => {
  const fake = await fakeServer((_head, socket) => socket.end())
  await t.throwsAsync(connect(fake.port), { instanceOf: NoMessageException })
  fake.close()
  await t.throwsAsync(connect(fake.port), { instanceOf: ConnectionRefusedException })
})

test('client: the 101 response is left in the response object', async (t) => {
  const server = await startServer(async (request, response) => {
    response.set('X-Served-By', 'poco-websocket')
    await echo(await WebSocket.accept(request, response))
  })
  const { ws, response } = await connect(server.port())
  t.is(response.getStatus(), HTTPStatus.HTTP_SWITCHING_PROTOCOLS)
  t.is(response.getReason(), 'Switching Protocols')
  t.is(response.get('x-served-by'), 'poco-websocket')
  t.true(response.has('Date'))
  ws.close()
  await server.stop()
})

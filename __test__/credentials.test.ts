// HTTP authentication: the client answers one 401 with its credentials (Basic or Digest, same
// Sec-WebSocket-Key), and the server reads Basic credentials (Poco spec §3.4).
import { createHash } from 'node:crypto'
import * as net from 'node:net'

import test, { type ExecutionContext } from 'ava'

import {
  ErrorCodes,
  FrameFlags,
  FrameOpcodes,
  HTTPBasicCredentials,
  HTTPClientSession,
  HTTPCredentials,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPServerRequest,
  HTTPStatus,
  NetException,
  NotAuthenticatedException,
  SendFlags,
  WebSocket,
  WebSocketException,
} from '../index'
import { echo, keyOf, startServer } from './helpers'

// ---------------------------------------------------------------------------------------------
// A scripted fake server that reads every request head on every connection.

interface Received {
  /** The connection's number, 0 for the first one accepted. */
  conn: number
  head: string
  socket: net.Socket
}

interface Scripted {
  port: number
  requests: Received[]
  connections: () => number
  close: () => Promise<void>
}

/**
 * A raw HTTP server: `onRequest` gets each request head (requests here have no body) with the
 * list of all heads so far, and answers on `socket`. Returning true ends the reading of that
 * connection (after a 101, what follows is frames).
 */
async function scriptedServer(
  t: ExecutionContext,
  onRequest: (request: Received, all: Received[]) => boolean | void,
): Promise<Scripted> {
  const requests: Received[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer((socket) => {
    const conn = connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    let pending = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      pending = Buffer.concat([pending, chunk])
      for (;;) {
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = pending.subarray(0, end + 4).toString('latin1')
        pending = pending.subarray(end + 4)
        const received = { conn, head, socket }
        requests.push(received)
        if (onRequest(received, requests) === true) {
          socket.off('data', onData)
          socket.resume()
          return
        }
      }
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  let closed: Promise<void> | undefined
  const close = (): Promise<void> =>
    (closed ??= new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }))
  // Also after a failed assertion (which ends the test early), so nothing keeps the process alive.
  t.teardown(close)
  return { port: (server.address() as net.AddressInfo).port, requests, connections: () => connections, close }
}

/** A header field of a raw head ('' when absent). */
function field(head: string, name: string): string {
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line === undefined ? '' : line.slice(name.length + 1).trim()
}

/** The valid 101 for a raw request head. */
function switching(head: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${WebSocket.computeAccept(keyOf(head))}\r\n\r\n`
  )
}

const BASIC_401 = 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'
const USER_PASS = `Basic ${Buffer.from('user:pass').toString('base64')}`

/** A session on 127.0.0.1:`port` with a 5 s HTTP timeout, so a wrong wait fails fast. */
function session(port: number): HTTPClientSession {
  const cs = new HTTPClientSession('127.0.0.1', port)
  cs.setTimeout(5000)
  return cs
}

/** Our client's handshake on `port` with `credentials`; the response object is returned too. */
async function connectWith(
  t: ExecutionContext,
  port: number,
  credentials?: HTTPCredentials,
  uri = '/',
  prepare?: (request: HTTPRequest) => void,
): Promise<{ ws: WebSocket; response: HTTPResponse }> {
  const response = new HTTPResponse()
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, uri, HTTPMessage.HTTP_1_1)
  prepare?.(request)
  const ws = await WebSocket.connect(session(port), request, response, credentials)
  t.teardown(() => ws.close())
  return { ws, response }
}

/** Expects the handshake to reject with WS_ERR_UNAUTHORIZED "Not authorized"; returns the response. */
async function expectUnauthorized(
  t: ExecutionContext,
  port: number,
  credentials?: HTTPCredentials,
  prepare?: (request: HTTPRequest) => void,
): Promise<HTTPResponse> {
  const response = new HTTPResponse()
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  prepare?.(request)
  const error = await t.throwsAsync(
    WebSocket.connect(session(port), request, response, credentials),
    { instanceOf: WebSocketException },
  )
  t.is(error?.code, ErrorCodes.WS_ERR_UNAUTHORIZED)
  t.is(error?.code, 6)
  t.is(error?.message, 'Not authorized')
  return response
}

/** `name=value` pairs of a Digest Authorization value (after the scheme), unquoted. */
function digestParams(value: string): Record<string, string> {
  const params: Record<string, string> = {}
  const pattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g
  for (const match of value.replace(/^Digest\s+/i, '').matchAll(pattern)) {
    params[match[1].toLowerCase()] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]
  }
  return params
}

// ---------------------------------------------------------------------------------------------
// Basic retry: same connection when the 401 can be drained, a new one otherwise.

const sameConnection: Array<[string, string]> = [
  ['Content-Length: 0', BASIC_401],
  [
    'a 12-byte body',
    'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 12\r\n\r\nUnauthorized',
  ],
  [
    'a body of exactly 1 MiB',
    `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 1048576\r\n\r\n${'x'.repeat(1048576)}`,
  ],
  [
    'HTTP/1.0 with Connection: keep-alive',
    'HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n',
  ],
]

for (const [name, unauthorized] of sameConnection) {
  test(`client: Basic retry on the SAME connection after a 401 with ${name}, same key`, async (t) => {
    const fake = await scriptedServer(t, (request, all) => {
      if (all.length === 1) {
        request.socket.write(unauthorized)
        return false
      }
      if (field(request.head, 'Authorization') === USER_PASS && keyOf(request.head) === keyOf(all[0].head)) {
        request.socket.write(switching(request.head))
        return true
      }
      request.socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
    })
    const { ws, response } = await connectWith(t, fake.port, new HTTPCredentials('user', 'pass'))
    t.is(response.getStatus(), HTTPStatus.HTTP_SWITCHING_PROTOCOLS)
    t.is(response.get('Sec-WebSocket-Accept'), WebSocket.computeAccept(keyOf(fake.requests[0].head)))
    t.is(fake.requests.length, 2)
    t.is(fake.connections(), 1, 'the retry reuses the connection')
    t.deepEqual(
      fake.requests.map((r) => r.conn),
      [0, 0],
    )
    const [first, second] = fake.requests
    t.is(field(first.head, 'Authorization'), '', 'no Authorization before the challenge')
    t.is(field(second.head, 'Authorization'), 'Basic dXNlcjpwYXNz')
    t.is(keyOf(second.head), keyOf(first.head), 'the same Sec-WebSocket-Key')
    t.is(second.head.split('\r\n')[0], 'GET / HTTP/1.1')
    ws.close()
    await fake.close()
  })
}

const newConnection: Array<[string, string, boolean]> = [
  [
    'Connection: close (the server closes)',
    'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
    true,
  ],
  ['no Content-Length (the server closes)', 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\n\r\n', true],
  [
    'HTTP/1.0 without keep-alive (the server closes)',
    'HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n',
    true,
  ],
  [
    'a body over 1 MiB (the server keeps the connection)',
    `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 1048577\r\n\r\n${'x'.repeat(1048577)}`,
    false,
  ],
]

for (const [name, unauthorized, serverCloses] of newConnection) {
  test(`client: Basic retry on a NEW connection after a 401 with ${name}, same key`, async (t) => {
    const fake = await scriptedServer(t, (request, all) => {
      if (all.length === 1) {
        if (serverCloses) request.socket.end(unauthorized)
        else request.socket.write(unauthorized)
        return true
      }
      if (
        request.conn === 1 &&
        field(request.head, 'Authorization') === USER_PASS &&
        keyOf(request.head) === keyOf(all[0].head)
      ) {
        request.socket.write(switching(request.head))
        return true
      }
      request.socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
    })
    const { ws, response } = await connectWith(t, fake.port, new HTTPCredentials('user', 'pass'))
    t.is(response.getStatus(), 101)
    t.is(fake.requests.length, 2)
    t.is(fake.connections(), 2)
    t.deepEqual(
      fake.requests.map((r) => r.conn),
      [0, 1],
    )
    t.is(field(fake.requests[1].head, 'Authorization'), 'Basic dXNlcjpwYXNz')
    t.is(keyOf(fake.requests[1].head), keyOf(fake.requests[0].head))
    ws.close()
    await fake.close()
  })
}

test('client: the retried connection carries frames both ways', async (t) => {
  let serverSide: net.Socket | undefined
  const fake = await scriptedServer(t, (request, all) => {
    if (all.length === 1) {
      request.socket.write(BASIC_401)
      return false
    }
    serverSide = request.socket
    // A text frame "hi" from the server right behind the 101.
    request.socket.write(Buffer.concat([Buffer.from(switching(request.head), 'latin1'), Buffer.from([0x81, 2, 0x68, 0x69])]))
    return true
  })
  const { ws } = await connectWith(t, fake.port, new HTTPCredentials('user', 'pass'))
  const frame = await ws.receiveFrame()
  t.is(frame.payload.toString(), 'hi')
  t.is(frame.flags, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_TEXT)
  const received = new Promise<Buffer>((resolve) => serverSide!.once('data', resolve))
  await ws.sendFrame('yo', SendFlags.FRAME_TEXT)
  const bytes = await received
  t.is(bytes[0], 0x81)
  t.is(bytes[1], 0x80 | 2, 'a masked client frame')
  t.is(Buffer.from([bytes[6] ^ bytes[2], bytes[7] ^ bytes[3]]).toString(), 'yo')
  ws.close()
  await fake.close()
})

test('client: credentials are not sent before a challenge; a direct 101 needs no retry', async (t) => {
  const fake = await scriptedServer(t, (request) => {
    request.socket.write(switching(request.head))
    return true
  })
  const { ws, response } = await connectWith(t, fake.port, new HTTPCredentials('user', 'pass'))
  t.is(response.getStatus(), 101)
  t.is(fake.requests.length, 1)
  t.is(field(fake.requests[0].head, 'Authorization'), '')
  ws.close()
  await fake.close()
})

test('client: a user name with an empty password is not empty: the 401 is answered', async (t) => {
  const fake = await scriptedServer(t, (request, all) => {
    if (all.length === 1) {
      request.socket.write(BASIC_401)
      return false
    }
    request.socket.write(switching(request.head))
    return true
  })
  const { ws } = await connectWith(t, fake.port, new HTTPCredentials('user', ''))
  t.is(fake.requests.length, 2)
  t.is(field(fake.requests[1].head, 'Authorization'), `Basic ${Buffer.from('user:').toString('base64')}`)
  ws.close()
  await fake.close()
})

// ---------------------------------------------------------------------------------------------
// Digest

for (const [algorithm, hashName] of [
  ['MD5', 'md5'],
  ['SHA-256', 'sha256'],
] as const) {
  test(`client: Digest ${algorithm} with qop=auth and opaque is answered and verified by the server`, async (t) => {
    const uri = '/digest?room=1'
    const hash = (text: string): string => createHash(hashName).update(text).digest('hex')
    let params: Record<string, string> = {}
    let expected = ''
    const fake = await scriptedServer(t, (request, all) => {
      if (all.length === 1) {
        request.socket.write(
          'HTTP/1.1 401 Unauthorized\r\n' +
            `WWW-Authenticate: Digest realm="test", qop="auth", nonce="abc123", opaque="xyz", algorithm=${algorithm}\r\n` +
            'Content-Length: 0\r\n\r\n',
        )
        return false
      }
      const authorization = field(request.head, 'Authorization')
      params = digestParams(authorization)
      const ha1 = hash('user:test:pass')
      const ha2 = hash(`GET:${params.uri}`)
      expected = hash(`${ha1}:abc123:${params.nc}:${params.cnonce}:auth:${ha2}`)
      const valid =
        /^Digest /.test(authorization) &&
        params.username === 'user' &&
        params.uri === uri &&
        params.response === expected &&
        keyOf(request.head) === keyOf(all[0].head)
      if (valid) {
        request.socket.write(switching(request.head))
        return true
      }
      request.socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
    })
    const { ws, response } = await connectWith(t, fake.port, new HTTPCredentials('user', 'pass'), uri)
    t.is(response.getStatus(), 101)
    t.is(fake.requests.length, 2)
    t.is(fake.connections(), 1)
    t.is(params.username, 'user')
    t.is(params.realm, 'test')
    t.is(params.nonce, 'abc123')
    t.is(params.uri, uri)
    t.is(params.response, expected)
    t.is(params.response.length, hashName === 'md5' ? 32 : 64)
    t.is(params.qop, 'auth')
    t.is(params.nc, '00000001')
    t.regex(params.cnonce, /^[0-9a-f]{32}$/)
    t.is(params.opaque, 'xyz')
    t.is(params.algorithm, algorithm)
    ws.close()
    await fake.close()
  })
}

test('client: a wrong password gives a Digest response the server rejects', async (t) => {
  const fake = await scriptedServer(t, (request, all) => {
    if (all.length === 1) {
      request.socket.write(
        'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest realm="test", qop="auth", nonce="abc123", opaque="xyz", algorithm=MD5\r\nContent-Length: 0\r\n\r\n',
      )
      return false
    }
    const params = digestParams(field(request.head, 'Authorization'))
    const md5 = (text: string): string => createHash('md5').update(text).digest('hex')
    const expected = md5(`${md5('user:test:pass')}:abc123:${params.nc}:${params.cnonce}:auth:${md5(`GET:${params.uri}`)}`)
    request.socket.write(params.response === expected ? switching(request.head) : BASIC_401)
    return params.response === expected
  })
  const response = await expectUnauthorized(t, fake.port, new HTTPCredentials('user', 'wrong'))
  t.is(response.getStatus(), 401)
  t.is(fake.requests.length, 2)
  await fake.close()
})

// ---------------------------------------------------------------------------------------------
// Failures: a second 401, empty or no credentials.

test('client: a second 401 after the retry → WebSocketException 6 "Not authorized", response 401', async (t) => {
  const fake = await scriptedServer(t, (request) => {
    request.socket.write(
      'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nX-Attempt: again\r\nContent-Length: 0\r\n\r\n',
    )
  })
  const response = await expectUnauthorized(t, fake.port, new HTTPCredentials('user', 'pass'))
  t.is(response.getStatus(), HTTPStatus.HTTP_UNAUTHORIZED)
  t.is(response.getReason(), 'Unauthorized')
  t.is(response.get('WWW-Authenticate'), 'Basic realm="x"')
  t.is(fake.requests.length, 2, 'exactly one retry')
  t.is(field(fake.requests[1].head, 'Authorization'), 'Basic dXNlcjpwYXNz')
  await fake.close()
})

const noRetry: Array<[string, () => HTTPCredentials | undefined]> = [
  ['empty credentials (new HTTPCredentials())', () => new HTTPCredentials()],
  ["credentials ('', '')", () => new HTTPCredentials('', '')],
  ['credentials cleared with clear()', () => {
    const credentials = new HTTPCredentials('user', 'pass')
    credentials.clear()
    return credentials
  }],
  ['no credentials', () => undefined],
]

for (const [name, credentials] of noRetry) {
  test(`client: ${name} → code 6 without any retry`, async (t) => {
    const fake = await scriptedServer(t, (request) => {
      request.socket.write(BASIC_401)
    })
    const response = await expectUnauthorized(t, fake.port, credentials())
    t.is(response.getStatus(), 401)
    t.is(fake.requests.length, 1)
    t.is(fake.connections(), 1)
    t.is(field(fake.requests[0].head, 'Authorization'), '')
    await fake.close()
  })
}

test('client: a challenge with no known scheme is retried once without Authorization (as Poco), then code 6', async (t) => {
  const fake = await scriptedServer(t, (request) => {
    request.socket.write('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n')
  })
  await expectUnauthorized(t, fake.port, new HTTPCredentials('user', 'pass'))
  t.is(fake.requests.length, 2)
  t.is(keyOf(fake.requests[1].head), keyOf(fake.requests[0].head))
  t.is(field(fake.requests[1].head, 'Authorization'), '')
  await fake.close()
})

// ---------------------------------------------------------------------------------------------
// Our server with HTTPBasicCredentials

async function startAuthServer(t: ExecutionContext): Promise<{
  port: number
  errors: NotAuthenticatedException[]
  seen: Array<{ authorization: string; client: string }>
  stop: () => Promise<void>
}> {
  const errors: NotAuthenticatedException[] = []
  const seen: Array<{ authorization: string; client: string }> = []
  const server = await startServer(async (request, response) => {
    seen.push({ authorization: request.get('Authorization', ''), client: request.clientAddress().toString() })
    try {
      const credentials = new HTTPBasicCredentials(request)
      if (credentials.getUsername() === 'user' && credentials.getPassword() === 'pa:ss') {
        await echo(await WebSocket.accept(request, response))
        return
      }
    } catch (error) {
      if (!(error instanceof NotAuthenticatedException)) throw error
      errors.push(error)
    }
    response.set('WWW-Authenticate', 'Basic realm="ws"')
    response.setStatusAndReason(HTTPStatus.HTTP_UNAUTHORIZED)
    response.setContentLength(0)
    response.send()
  })
  t.teardown(() => server.stop())
  return { port: server.port(), errors, seen, stop: () => server.stop() }
}

test('server + client: the right Basic credentials connect after a 401 and echo a frame', async (t) => {
  const server = await startAuthServer(t)
  const { ws, response } = await connectWith(t, server.port, new HTTPCredentials('user', 'pa:ss'))
  t.is(response.getStatus(), 101)
  t.is(server.seen.length, 2)
  t.is(server.seen[0].authorization, '')
  t.is(server.seen[1].authorization, `Basic ${Buffer.from('user:pa:ss').toString('base64')}`)
  t.is(server.seen[1].client, server.seen[0].client, 'the retry came on the same connection')
  t.is(server.errors.length, 1, 'the first request had no Authorization')
  await ws.sendFrame('hello', SendFlags.FRAME_TEXT)
  const frame = await ws.receiveFrame()
  t.is(frame.payload.toString(), 'hello')
  t.is(frame.flags, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_TEXT)
  await ws.shutdown()
  const close = await ws.receiveFrame()
  t.is(close.flags & FrameOpcodes.FRAME_OP_BITMASK, FrameOpcodes.FRAME_OP_CLOSE)
  ws.close()
  await server.stop()
})

test('server + client: wrong Basic credentials → code 6 after one retry', async (t) => {
  const server = await startAuthServer(t)
  const response = await expectUnauthorized(t, server.port, new HTTPCredentials('user', 'nope'))
  t.is(response.getStatus(), 401)
  t.is(response.get('WWW-Authenticate'), 'Basic realm="ws"')
  t.is(server.seen.length, 2)
  t.is(server.seen[1].authorization, `Basic ${Buffer.from('user:nope').toString('base64')}`)
  await server.stop()
})

test('server: no Authorization field → NotAuthenticatedException "No authentication information found"', async (t) => {
  const server = await startAuthServer(t)
  await expectUnauthorized(t, server.port)
  t.is(server.seen.length, 1)
  t.is(server.errors.length, 1)
  const [error] = server.errors
  t.true(error instanceof NotAuthenticatedException)
  t.true(error instanceof NetException)
  t.is(error.name, 'No authentication information found')
  t.is(error.displayText(), 'No authentication information found')
  await server.stop()
})

test('server: Authorization: Bearer x → NotAuthenticatedException "Basic authentication expected"', async (t) => {
  const server = await startAuthServer(t)
  await expectUnauthorized(t, server.port, undefined, (request) => request.set('Authorization', 'Bearer x'))
  t.is(server.seen.length, 1)
  t.is(server.seen[0].authorization, 'Bearer x')
  t.is(server.errors.length, 1)
  const [error] = server.errors
  t.true(error instanceof NotAuthenticatedException)
  t.is(error.message, 'Basic authentication expected')
  t.is(error.displayText(), 'No authentication information found: Basic authentication expected')
  await server.stop()
})

// ---------------------------------------------------------------------------------------------
// HTTPBasicCredentials and HTTPCredentials without sockets

/** A request as a server would see it, with `Authorization` set (or not). */
function requestWith(authorization?: string): HTTPRequest {
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  if (authorization !== undefined) request.set('Authorization', authorization)
  return request
}

test('HTTPBasicCredentials: authenticate(request) sets Authorization: Basic dXNlcjpwYXNz', (t) => {
  const request = requestWith('Bearer old')
  new HTTPBasicCredentials('user', 'pass').authenticate(request)
  t.is(request.get('Authorization'), 'Basic dXNlcjpwYXNz')
  t.deepEqual(
    request.toFlatList().filter((_, i, list) => i % 2 === 0 && list[i].toLowerCase() === 'authorization'),
    ['Authorization'],
    'one Authorization field, replaced',
  )
})

test('HTTPBasicCredentials: from the base64 auth info and from a request', (t) => {
  const fromInfo = new HTTPBasicCredentials('dXNlcjpwYXNz')
  t.is(fromInfo.getUsername(), 'user')
  t.is(fromInfo.getPassword(), 'pass')
  const fromRequest = new HTTPBasicCredentials(requestWith('Basic dXNlcjpwYXNz'))
  t.is(fromRequest.getUsername(), 'user')
  t.is(fromRequest.getPassword(), 'pass')
  const anyCase = new HTTPBasicCredentials(requestWith('basic   dXNlcjpwYXNz'))
  t.is(anyCase.getUsername(), 'user')
  t.is(anyCase.getPassword(), 'pass')
  const noColon = new HTTPBasicCredentials(Buffer.from('justuser').toString('base64'))
  t.is(noColon.getUsername(), 'justuser')
  t.is(noColon.getPassword(), '')
  t.is(HTTPBasicCredentials.SCHEME, 'Basic')
})

test('HTTPBasicCredentials: a password with ":" (and UTF-8) survives a round trip', (t) => {
  for (const [user, password] of [
    ['user', 'pa:ss'],
    ['user', ':'],
    ['ü', 'wörd:with:colons'],
    ['user', ''],
  ]) {
    const request = requestWith()
    new HTTPBasicCredentials(user, password).authenticate(request)
    const parsed = new HTTPBasicCredentials(request)
    t.is(parsed.getUsername(), user)
    t.is(parsed.getPassword(), password)
  }
})

test('HTTPBasicCredentials: requests without Basic credentials throw NotAuthenticatedException', (t) => {
  const missing = t.throws(() => new HTTPBasicCredentials(requestWith()), { instanceOf: NotAuthenticatedException })
  t.is(missing?.displayText(), 'No authentication information found')
  t.is(missing?.message, '')
  const bearer = t.throws(() => new HTTPBasicCredentials(requestWith('Bearer x')), { instanceOf: NotAuthenticatedException })
  t.is(bearer?.message, 'Basic authentication expected')
  const digest = t.throws(() => new HTTPBasicCredentials(requestWith('Digest username="u"')), {
    instanceOf: NotAuthenticatedException,
  })
  t.is(digest?.message, 'Basic authentication expected')
  // A server request behaves the same (HTTPServerRequest is an HTTPRequest).
  t.true(HTTPServerRequest.prototype instanceof HTTPRequest)
})

test('HTTPBasicCredentials: setters, empty() and clear()', (t) => {
  const credentials = new HTTPBasicCredentials()
  t.true(credentials.empty())
  t.is(credentials.getUsername(), '')
  t.is(credentials.getPassword(), '')
  credentials.setUsername('u')
  t.false(credentials.empty())
  credentials.setPassword('p')
  t.is(credentials.getUsername(), 'u')
  t.is(credentials.getPassword(), 'p')
  credentials.clear()
  t.true(credentials.empty())
  t.is(credentials.getUsername(), '')
  t.is(credentials.getPassword(), '')
})

test('HTTPCredentials: empty(), clear() and setters', (t) => {
  const credentials = new HTTPCredentials()
  t.true(credentials.empty())
  t.is(credentials.getUsername(), '')
  t.is(credentials.getPassword(), '')
  credentials.setUsername('user')
  t.false(credentials.empty())
  credentials.setUsername('')
  credentials.setPassword('pass')
  t.false(credentials.empty(), 'a password alone is not empty')
  credentials.setUsername('user')
  t.is(credentials.getUsername(), 'user')
  t.is(credentials.getPassword(), 'pass')
  credentials.clear()
  t.true(credentials.empty())
  t.is(credentials.getUsername(), '')
  t.is(credentials.getPassword(), '')
  const given = new HTTPCredentials('a', 'b')
  t.false(given.empty())
  t.is(given.getUsername(), 'a')
  t.is(given.getPassword(), 'b')
})

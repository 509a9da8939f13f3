// ws:// and wss:// through a real HTTP proxy (tinyproxy) with CONNECT, with and without Basic
// proxy credentials, and the proxy's refusals as HTTPException with the status as code.
import test from 'ava'

import {
  Context,
  HTTPClientSession,
  HTTPException,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPSClientSession,
  HTTPServer,
  SecureServerSocket,
  WebSocket,
} from '../index'
import { echo, startServer, type Handler } from './helpers'
import { makePki } from './pki'
import { startTinyproxy, tinyproxyInstalled } from './tinyproxy'

// CI installs tinyproxy (.ci/run); elsewhere these tests are skipped when it is missing.
const proxyTest = tinyproxyInstalled || process.env.CI ? test.serial : test.serial.skip
if (!tinyproxyInstalled) console.log('proxy tests: tinyproxy is not installed (apt-get install tinyproxy)')

const pki = makePki()
test.after.always(() => pki.remove())
const trusting = new Context(Context.TLS_CLIENT_USE, { ca: pki.ca })

const hello: Handler = async (request, response) => {
  const ws = await WebSocket.accept(request, response)
  await ws.sendFrame(`hello secure=${ws.secure()}`)
  await echo(ws)
}

async function servers(): Promise<{ plain: HTTPServer; secure: HTTPServer; stop: () => Promise<void> }> {
  const plain = await startServer(hello)
  const context = new Context(Context.TLS_SERVER_USE, { certificate: pki.server.certificate, privateKey: pki.server.key, verificationMode: Context.VERIFY_NONE })
  const secure = new HTTPServer({ createRequestHandler: () => ({ handleRequest: hello }) }, new SecureServerSocket('127.0.0.1:0', context))
  await secure.start()
  return { plain, secure, stop: async () => void (await Promise.all([plain.stop(), secure.stop()])) }
}

const connect = (session: HTTPClientSession, response = new HTTPResponse()): Promise<WebSocket> =>
  WebSocket.connect(session, new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1), response)

/** Connects through the proxy and checks the tunnel: the first frame, an echo, the peer is the proxy. */
async function assertTunnel(t: { is: (a: unknown, b: unknown) => void }, session: HTTPClientSession, proxyPort: number, secure: boolean): Promise<void> {
  const ws = await connect(session)
  t.is((await ws.receiveFrame()).payload.toString(), `hello secure=${secure}`)
  t.is(ws.peerAddress().port(), proxyPort)
  t.is(ws.secure(), secure)
  await ws.sendFrame('through the proxy')
  t.is((await ws.receiveFrame()).payload.toString(), 'through the proxy')
  await ws.shutdown()
  t.is((await ws.receiveFrame()).flags, 0x88)
  ws.close()
}

proxyTest('ws:// and wss:// through tinyproxy (CONNECT); the certificate is checked against the server name', async (t) => {
  const { plain, secure, stop } = await servers()
  const proxy = await startTinyproxy({ connectPorts: [plain.port(), secure.port()] })
  try {
    const ws = new HTTPClientSession('127.0.0.1', plain.port())
    ws.setProxy('127.0.0.1', proxy.port)
    await assertTunnel(t, ws, proxy.port, false)
    const wss = new HTTPSClientSession('localhost', secure.port(), trusting)
    wss.setProxyHost('127.0.0.1')
    wss.setProxyPort(proxy.port)
    await assertTunnel(t, wss, proxy.port, true)
    const log = proxy.log()
    t.regex(log, new RegExp(`CONNECT 127\\.0\\.0\\.1:${plain.port()} HTTP/1\\.1`))
    t.regex(log, new RegExp(`CONNECT localhost:${secure.port()} HTTP/1\\.1`))
  } finally {
    await proxy.stop()
    await stop()
  }
})

proxyTest('Basic proxy credentials: 407 without them, tunnels with them', async (t) => {
  const { plain, secure, stop } = await servers()
  const proxy = await startTinyproxy({ connectPorts: [plain.port(), secure.port()], basicAuth: { user: 'user', password: 'secret' } })
  try {
    const session = new HTTPClientSession('127.0.0.1', plain.port())
    session.setProxy('127.0.0.1', proxy.port)
    const response = new HTTPResponse()
    const error = await t.throwsAsync(connect(session, response), {
      instanceOf: HTTPException,
      message: /^Cannot establish proxy connection: 407 /,
    })
    t.is(error?.code, 407)
    t.is(error?.name, 'HTTP Exception')
    t.is(response.getStatus(), 200, 'the proxy answer is not the server response')

    session.setProxyCredentials('user', 'wrong')
    // tinyproxy answers wrong credentials with 401 (407 is for none).
    await t.throwsAsync(connect(session), { instanceOf: HTTPException, message: /^Cannot establish proxy connection: 40[17] / })
    session.setProxyCredentials('user', 'secret')
    t.is(session.getProxyUsername(), 'user')
    await assertTunnel(t, session, proxy.port, false)

    const wss = new HTTPSClientSession('localhost', secure.port(), trusting)
    wss.setProxyConfig({ host: '127.0.0.1', port: proxy.port, username: 'user', password: 'secret' })
    await assertTunnel(t, wss, proxy.port, true)
  } finally {
    await proxy.stop()
    await stop()
  }
})

proxyTest('refusals: a port the proxy does not allow (403), a server it cannot reach', async (t) => {
  const { plain, secure, stop } = await servers()
  const proxy = await startTinyproxy({ connectPorts: [secure.port()] })
  try {
    const session = new HTTPClientSession('127.0.0.1', plain.port())
    session.setProxy('127.0.0.1', proxy.port)
    const refused = await t.throwsAsync(connect(session), { instanceOf: HTTPException, message: /^Cannot establish proxy connection: 403 / })
    t.is(refused?.code, 403)
    // The proxy keeps serving allowed tunnels.
    const wss = new HTTPSClientSession('localhost', secure.port(), trusting)
    wss.setProxy('127.0.0.1', proxy.port)
    await assertTunnel(t, wss, proxy.port, true)
  } finally {
    await proxy.stop()
  }
  const anyPort = await startTinyproxy({ connectPorts: [] })
  try {
    const port = plain.port()
    await plain.stop()
    const session = new HTTPClientSession('127.0.0.1', port)
    session.setProxy('127.0.0.1', anyPort.port)
    const error = await t.throwsAsync(connect(session), { instanceOf: HTTPException, message: /^Cannot establish proxy connection: 5\d\d / })
    t.true(error!.code >= 500 && error!.code < 600)
  } finally {
    await anyPort.stop()
    await stop()
  }
})

test('nonProxyHosts and the global proxy configuration', async (t) => {
  const server = await startServer(hello)
  try {
    HTTPClientSession.setGlobalProxyConfig({ host: '127.0.0.1', port: 9, nonProxyHosts: 'localhost|127\\.0\\.0\\.\\d+' })
    const session = new HTTPClientSession('127.0.0.1', server.port())
    t.is(session.getProxyHost(), '127.0.0.1')
    t.true(session.bypassProxy())
    const ws = await connect(session)
    t.is(ws.peerAddress().port(), server.port(), 'connected directly')
    ws.close()
    t.false(new HTTPClientSession('example.com').bypassProxy())
  } finally {
    HTTPClientSession.setGlobalProxyConfig({})
    await server.stop()
  }
  t.is(new HTTPClientSession('127.0.0.1').getProxyHost(), '')
})

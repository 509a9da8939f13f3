// The message API over TLS and through a proxy: our wss WebSocketServer with a ws client and
// our MessageWebSocket client, certificate checks, and wss:// through tinyproxy.
import { once } from 'node:events'

import test from 'ava'
import WS from 'ws'

import { CertificateValidationException, Context, MessageWebSocket, WebSocketServer } from '../index'
import { makePki } from './pki'
import { startTinyproxy, tinyproxyInstalled } from './tinyproxy'

const pki = makePki()
test.after.always(() => pki.remove())

const serverContext = new Context(Context.TLS_SERVER_USE, pki.server.keyFile, pki.server.certificateFile)

async function secureEchoServer(): Promise<{ server: WebSocketServer; url: string; secure: boolean[] }> {
  const secure: boolean[] = []
  const server = new WebSocketServer({ host: '127.0.0.1', context: serverContext, verifyClient: (info) => (secure.push(info.secure), true) })
  server.on('connection', (ws: MessageWebSocket) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })))
  await once(server, 'listening')
  return { server, url: `wss://localhost:${server.address().port}/`, secure }
}

const closeServer = (server: WebSocketServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()))

test('wss: a ws client and our MessageWebSocket client (ca option) echo through our wss WebSocketServer', async (t) => {
  const { server, url, secure } = await secureEchoServer()
  const ws = new WS(url, { ca: pki.ca })
  await once(ws, 'open')
  ws.send('over tls')
  t.deepEqual((await once(ws, 'message')).map(String), ['over tls', 'false'])
  ws.close()
  const ours = new MessageWebSocket(url, { ca: pki.ca })
  await once(ours, 'open')
  ours.send(Buffer.from([1, 2, 3]))
  const [data, isBinary] = await once(ours, 'message')
  t.deepEqual([data, isBinary], [Buffer.from([1, 2, 3]), true])
  const closed = once(ours, 'close')
  ours.close(1000)
  t.is((await closed)[0], 1000)
  t.deepEqual(secure, [true, true], 'verifyClient sees a secure connection')
  await closeServer(server)
})

test('wss: an unknown CA gives CertificateValidationException then close 1006; rejectUnauthorized: false connects', async (t) => {
  const { server, url } = await secureEchoServer()
  const strict = new MessageWebSocket(url)
  const closed = new Promise<number>((resolve) => strict.once('close', resolve))
  const [error] = await once(strict, 'error')
  t.true(error instanceof CertificateValidationException, String(error))
  t.is(await closed, 1006)
  const relaxed = new MessageWebSocket(url, { rejectUnauthorized: false })
  await once(relaxed, 'open')
  relaxed.terminate()
  await closeServer(server)
})

const proxyTest = tinyproxyInstalled || process.env.CI ? test.serial : test.serial.skip

proxyTest('wss:// through an HTTP CONNECT proxy with credentials; a wrong password is refused', async (t) => {
  const { server, url } = await secureEchoServer()
  const proxy = await startTinyproxy({ connectPorts: [server.address().port], basicAuth: { user: 'u', password: 'p' } })
  try {
    const ours = new MessageWebSocket(url, { ca: pki.ca, proxy: { host: '127.0.0.1', port: proxy.port, username: 'u', password: 'p' } })
    await once(ours, 'open')
    ours.send('tunnelled')
    t.is(String((await once(ours, 'message'))[0]), 'tunnelled')
    ours.terminate()
    const refused = new MessageWebSocket(url, { ca: pki.ca, proxy: { host: '127.0.0.1', port: proxy.port, username: 'u', password: 'wrong' } })
    const [error] = await once(refused, 'error')
    t.regex(String(error), /40[17]/)
  } finally {
    await proxy.stop()
    await closeServer(server)
  }
})

// ws's README examples (ws 8.x, "Usage examples" and the FAQ) run against our exports: the code
// is ws's with the import changed, `port: 8080` made 0 on 127.0.0.1, console.log collected in
// `log`, and the TypeScript annotations the examples need. ws's own client (or ours) is the peer.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'

import test from 'ava'
import WS, { WebSocketServer as WSServer } from 'ws'

import { MessageWebSocket as WebSocket, WebSocketServer } from '../index'
import { rawUpgrade } from './helpers'

const portOf = (wss: WebSocketServer): number => wss.address().port
const httpPort = (server: ReturnType<typeof createServer>): number => (server.address() as AddressInfo).port
const closed = (ws: WS | WebSocket): Promise<number> => new Promise((resolve) => ws.once('close', resolve))
const stop = (wss: WebSocketServer): Promise<void> => new Promise((resolve) => wss.close(() => resolve()))

/** A ws echo server: the peer of the client examples. */
async function wsEcho(): Promise<{ url: string; stop: () => Promise<void>; received: Array<[Buffer, boolean]> }> {
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const received: Array<[Buffer, boolean]> = []
  wss.on('connection', (peer) =>
    peer.on('message', (data, isBinary) => {
      received.push([data as Buffer, isBinary])
      peer.send(data, { binary: isBinary })
    }),
  )
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/path`,
    received,
    stop: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close(() => resolve())
      }),
  }
}

test('Sending and receiving text data', async (t) => {
  const echo = await wsEcho()
  const log: string[] = []
  const ws = new WebSocket(echo.url)
  ws.on('error', console.error)
  ws.on('open', function open() {
    ws.send('something')
  })
  ws.on('message', function message(data) {
    log.push(`received: ${data}`)
    ws.close()
  })
  await closed(ws)
  t.deepEqual(log, ['received: something'])
  await echo.stop()
})

test('Sending binary data', async (t) => {
  const echo = await wsEcho()
  const ws = new WebSocket(echo.url)
  ws.on('error', console.error)
  ws.on('open', function open() {
    const array = new Float32Array(5)
    for (let i = 0; i < array.length; ++i) {
      array[i] = i / 2
    }
    ws.send(array)
  })
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean]
  t.true(isBinary)
  t.deepEqual([...new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length))], [0, 0.5, 1, 1.5, 2])
  ws.close()
  await closed(ws)
  await echo.stop()
})

test('Simple server', async (t) => {
  const log: string[] = []
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  wss.on('connection', function connection(ws) {
    ws.on('error', console.error)
    ws.on('message', function message(data) {
      log.push(`received: ${data}`)
    })
    ws.send('something')
  })
  await once(wss, 'listening')
  const client = new WS(`ws://127.0.0.1:${portOf(wss)}`)
  const [data] = await once(client, 'message')
  t.is(String(data), 'something')
  client.send('hello')
  await new Promise((resolve) => setTimeout(resolve, 50))
  client.close()
  await closed(client)
  t.deepEqual(log, ['received: hello'])
  await stop(wss)
})

test('External HTTP/S server ({ server }, plain http here)', async (t) => {
  const log: string[] = []
  const server = createServer()
  const wss = new WebSocketServer({ server })
  wss.on('connection', function connection(ws) {
    ws.on('error', console.error)
    ws.on('message', function message(data) {
      log.push(`received: ${data}`)
    })
    ws.send('something')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = new WS(`ws://127.0.0.1:${httpPort(server)}`)
  t.is(String((await once(client, 'message'))[0]), 'something')
  client.send('hi')
  client.close()
  await closed(client)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.deepEqual(log, ['received: hi'])
  await stop(wss)
  server.close()
})

test('Multiple servers sharing a single HTTP/S server (noServer routing)', async (t) => {
  const server = createServer()
  const wss1 = new WebSocketServer({ noServer: true })
  const wss2 = new WebSocketServer({ noServer: true })
  wss1.on('connection', function connection(ws) {
    ws.on('error', console.error)
    ws.send('foo')
  })
  wss2.on('connection', function connection(ws) {
    ws.on('error', console.error)
    ws.send('bar')
  })
  server.on('upgrade', function upgrade(request, socket: Duplex, head: Buffer) {
    const { pathname } = new URL(request.url!, 'wss://base.url')
    if (pathname === '/foo') {
      wss1.handleUpgrade(request, socket, head, function done(ws) {
        wss1.emit('connection', ws, request)
      })
    } else if (pathname === '/bar') {
      wss2.handleUpgrade(request, socket, head, function done(ws) {
        wss2.emit('connection', ws, request)
      })
    } else {
      socket.destroy()
    }
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `ws://127.0.0.1:${httpPort(server)}`
  for (const path of ['foo', 'bar']) {
    const client = new WS(`${base}/${path}`)
    t.is(String((await once(client, 'message'))[0]), path)
    client.close()
    await closed(client)
  }
  const other = new WS(`${base}/other`)
  const [error] = await Promise.all([new Promise<Error>((resolve) => other.once('error', resolve)), closed(other)])
  t.regex(error.message, /socket hang up/)
  await Promise.all([stop(wss1), stop(wss2)])
  server.close()
})

test('Client authentication (noServer, authenticate in upgrade, 401 written by hand)', async (t) => {
  const log: string[] = []
  function onSocketError(err: Error): void {
    console.error(err)
  }
  // "Not defined on purpose" in the README: a token in the query here.
  function authenticate(request: { url?: string }, next: (err: Error | null, client?: string) => void): void {
    const user = new URL(request.url!, 'ws://x').searchParams.get('user')
    setImmediate(() => next(null, user ?? undefined))
  }
  const server = createServer()
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', function connection(ws, request, client: string) {
    ws.on('error', console.error)
    ws.on('message', function message(data) {
      log.push(`Received message ${data} from user ${client}`)
      ws.send('ok')
    })
  })
  server.on('upgrade', function upgrade(request, socket: Duplex, head: Buffer) {
    socket.on('error', onSocketError)
    authenticate(request, function next(err, client) {
      if (err || !client) {
        socket.write('HTTP/1.1 401 Unauthorized\r\n\r\n')
        socket.destroy()
        return
      }
      socket.removeListener('error', onSocketError)
      wss.handleUpgrade(request, socket, head, function done(ws) {
        wss.emit('connection', ws, request, client)
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const base = `ws://127.0.0.1:${httpPort(server)}/`
  // Both clients: ws's and ours see the 401.
  for (const make of [() => new WS(base), () => new WebSocket(base)]) {
    const refused = make()
    const [error] = await Promise.all([new Promise<Error>((resolve) => refused.once('error', resolve)), closed(refused)])
    t.is(error.message, 'Unexpected server response: 401')
  }
  const ws = new WebSocket(`${base}?user=alice`)
  ws.on('open', () => ws.send('hi'))
  await once(ws, 'message')
  ws.close()
  await closed(ws)
  t.deepEqual(log, ['Received message hi from user alice'])
  await stop(wss)
  server.close()
})

for (const excludeSender of [false, true]) {
  test(`Server broadcast (${excludeSender ? 'excluding' : 'including'} the sender)`, async (t) => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    wss.on('connection', function connection(ws) {
      ws.on('error', console.error)
      ws.on('message', function message(data, isBinary) {
        wss.clients.forEach(function each(client) {
          if ((!excludeSender || client !== ws) && client.readyState === WebSocket.OPEN) {
            client.send(data, { binary: isBinary })
          }
        })
      })
    })
    await once(wss, 'listening')
    const url = `ws://127.0.0.1:${portOf(wss)}`
    // Mixed peers: two ws clients and one of ours.
    const clients: Array<WS | WebSocket> = [new WS(url), new WS(url), new WebSocket(url)]
    await Promise.all(clients.map((c) => once(c, 'open')))
    while (wss.clients.size < clients.length) await new Promise((resolve) => setTimeout(resolve, 10))
    const got = clients.map(() => [] as string[])
    clients.forEach((c, i) => c.on('message', (data: Buffer) => got[i].push(String(data))))
    ;(clients[0] as WS).send('news')
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.deepEqual(got, [excludeSender ? [] : ['news'], ['news'], ['news']])
    for (const c of clients) c.close()
    await Promise.all(clients.map(closed))
    await stop(wss)
  })
}

test('Round-trip time (send(Date.now()) against an echo server)', async (t) => {
  const echo = await wsEcho()
  const log: string[] = []
  const ws = new WebSocket(echo.url)
  ws.on('error', console.error)
  ws.on('open', function open() {
    log.push('connected')
    ws.send(Date.now())
  })
  ws.on('close', function close() {
    log.push('disconnected')
  })
  let rounds = 0
  ws.on('message', function message(data) {
    log.push(`Round-trip time: ${Date.now() - Number(data)} ms`)
    // The README sends forever; two rounds here, 50 ms apart.
    if (++rounds === 2) return ws.close()
    setTimeout(function timeout() {
      ws.send(Date.now())
    }, 50)
  })
  await closed(ws)
  t.is(log.length, 4)
  t.is(log[0], 'connected')
  t.regex(log[1], /^Round-trip time: \d+ ms$/)
  t.regex(log[2], /^Round-trip time: \d+ ms$/)
  t.is(log[3], 'disconnected')
  // Numbers go out as text, as ws.
  t.false(echo.received[0][1])
  await echo.stop()
})

test('How to detect and close broken connections? (isAlive, ping, pong, terminate)', async (t) => {
  function heartbeat(this: WebSocket & { isAlive?: boolean }): void {
    this.isAlive = true
  }
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  const terminated: Array<WebSocket & { isAlive?: boolean }> = []
  wss.on('connection', function connection(ws: WebSocket & { isAlive?: boolean }) {
    ws.isAlive = true
    ws.on('error', console.error)
    ws.on('pong', heartbeat)
  })
  // The README's 30000 ms, shortened.
  const interval = setInterval(function ping() {
    wss.clients.forEach(function each(ws: WebSocket & { isAlive?: boolean }) {
      if (ws.isAlive === false) return terminated.push(ws), ws.terminate()
      ws.isAlive = false
      ws.ping()
    })
  }, 100)
  wss.on('close', function close() {
    clearInterval(interval)
  })
  await once(wss, 'listening')
  const port = portOf(wss)
  // A live peer (ws answers PINGs) and a broken one: a raw TCP client that never reads frames.
  const live = new WS(`ws://127.0.0.1:${port}`)
  await once(live, 'open')
  const broken = await rawUpgrade(port)
  const brokenGone = new Promise((resolve) => broken.socket.once('close', resolve))
  await brokenGone
  t.is(terminated.length, 1)
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.is(terminated.length, 1, 'the live client stays')
  t.is(live.readyState, WS.OPEN)
  t.is(wss.clients.size, 1)
  live.close()
  await closed(live)
  await stop(wss)
})

test('FAQ client heartbeat: ping listener + terminate() when the server goes quiet', async (t) => {
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  wss.on('connection', (peer) => peer.ping())
  function heartbeat(this: WebSocket & { pingTimeout?: NodeJS.Timeout }): void {
    clearTimeout(this.pingTimeout)
    // The README's 30000 + 1000 ms, shortened.
    this.pingTimeout = setTimeout(() => {
      this.terminate()
    }, 100 + 100)
  }
  const client: WebSocket & { pingTimeout?: NodeJS.Timeout } = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`)
  client.on('error', console.error)
  client.on('open', heartbeat)
  client.on('ping', heartbeat)
  client.on('close', function clear(this: typeof client) {
    clearTimeout(this.pingTimeout)
  })
  t.is(await closed(client), 1006)
  await new Promise<void>((resolve) => {
    for (const peer of wss.clients) peer.terminate()
    wss.close(() => resolve())
  })
})

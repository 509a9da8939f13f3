// What a peer that does not read can make a server hold (RFC 6455 §5.5.2-§5.5.3,
// hostile-input-matrix K5, T4, T5), on both APIs: a raw client floods PINGs and never reads.
// The runtime answers PINGs only while the write buffer is under its mark, then only the latest
// one, so the buffer stays bounded; past `maxBackpressure` the peer is dropped. A frame-API
// handler that does not receive holds its peer back by TCP once the inbound queue is full.
import { once } from 'node:events'
import type * as net from 'node:net'

import test from 'ava'

import { IOException, MessageWebSocket, WebSocket, WebSocketServer } from '../index'
import { clientFrame, rawUpgrade, startServer } from './helpers'

const PING = clientFrame(0x89, Buffer.alloc(125, 0x70))

/** Writes PINGs until the socket's buffers are full (the server stopped reading) or `pings` were sent. */
async function flood(socket: net.Socket, pings: number): Promise<number> {
  const chunk = Buffer.concat(Array.from({ length: 512 }, () => PING))
  let sent = 0
  while (sent < pings && !socket.destroyed) {
    const drained = socket.write(chunk)
    sent += 512
    if (!drained) {
      const result = await Promise.race([once(socket, 'drain').then(() => 'drain'), once(socket, 'close').then(() => 'close'), new Promise((r) => setTimeout(r, 2000, 'stuck'))])
      if (result !== 'drain') break
    }
  }
  return sent
}

test('message API: a PING flood from a peer that never reads leaves the write buffer bounded, and maxBackpressure drops it', async (t) => {
  const highWaterMark = 64 * 1024
  const server = new WebSocketServer({ host: '127.0.0.1', highWaterMark, maxBackpressure: 4 * 1024 * 1024 })
  await once(server, 'listening')
  const serverSide = once(server, 'connection')
  const { socket: peer } = await rawUpgrade(server.address().port)
  const [socket] = (await serverSide) as [MessageWebSocket]
  peer.pause() // never reads
  let mostBuffered = 0
  const watch = setInterval(() => (mostBuffered = Math.max(mostBuffered, socket.bufferedAmount)), 5)
  const errors: unknown[] = []
  socket.on('error', (error) => errors.push(error))
  const closed = new Promise<Array<number | Buffer>>((resolve) => socket.once('close', (...args) => resolve(args)))
  // 4 MiB of PONGs owed takes about 33,000 PINGs; send up to three times that.
  await flood(peer, 100_000)
  const [code] = await closed
  clearInterval(watch)
  t.is(code, 1006)
  t.true(errors[0] instanceof IOException, String(errors[0]))
  t.regex(String(errors[0]), /not reading/)
  t.true(mostBuffered <= highWaterMark + 2 * 1024, `${mostBuffered} bytes buffered over a mark of ${highWaterMark}`)
  peer.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

test('message API: without maxBackpressure the flood is read to the end and the buffer stays under its mark', async (t) => {
  const highWaterMark = 64 * 1024
  const server = new WebSocketServer({ host: '127.0.0.1', highWaterMark })
  await once(server, 'listening')
  const serverSide = once(server, 'connection')
  const { socket: peer } = await rawUpgrade(server.address().port)
  const [socket] = (await serverSide) as [MessageWebSocket]
  peer.pause()
  let pings = 0
  let mostBuffered = 0
  socket.on('ping', () => {
    pings++
    mostBuffered = Math.max(mostBuffered, socket.bufferedAmount)
  })
  const sent = await flood(peer, 50_000)
  while (pings < sent) await new Promise((resolve) => setTimeout(resolve, 20))
  t.is(pings, sent, 'every PING was read and reached the app')
  t.true(mostBuffered <= highWaterMark + 2 * 1024, `${mostBuffered} bytes buffered over a mark of ${highWaterMark}`)
  const closed = once(socket, 'close')
  peer.destroy()
  await closed
  t.is(socket.bufferedAmount, 0)
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

test('frame API: a handler that does not receive holds a flooding peer back by TCP, and gets every frame later', async (t) => {
  let accepted!: (ws: WebSocket) => void
  const sockets = new Promise<WebSocket>((resolve) => (accepted = resolve))
  const server = await startServer(async (request, response) => accepted(await WebSocket.accept(request, response)))
  const { socket: peer } = await rawUpgrade(server.port())
  const ws = await sockets
  const sent = await flood(peer, 200_000) // 26 MiB: far more than the server holds
  t.true(sent < 200_000, 'the peer was held back')
  const held = ws.available()
  t.true(held <= 5 * 1024 * 1024, `${held} bytes held`)
  let received = 0
  while (received < sent) {
    const frame = await ws.receiveFrame()
    t.is(frame.flags, 0x89)
    received++
  }
  t.is(received, sent)
  ws.close()
  peer.destroy()
  await server.stop()
})

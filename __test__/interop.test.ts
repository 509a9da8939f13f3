// Interoperability with the ws package, both directions.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import WS, { WebSocketServer } from 'ws'

import { FrameFlags, FrameOpcodes, SendFlags } from '../index'
import { connect, echoHandler, startServer } from './helpers'

test('our client ↔ a ws server: text, binary, a PING answered by ws, and the close handshake', async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const peerClosed = new Promise<[number, string]>((resolve) => {
    wss.on('connection', (peer) => {
      peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }))
      peer.on('close', (code, reason) => resolve([code, reason.toString()]))
    })
  })
  const { ws } = await connect((wss.address() as AddressInfo).port)

  await ws.sendFrame('hello ws')
  t.deepEqual(await ws.receiveFrame(), { n: 8, flags: SendFlags.FRAME_TEXT, eof: false, payload: Buffer.from('hello ws') })
  const binary = Buffer.from([0, 1, 2, 253, 254, 255])
  await ws.sendFrame(binary, SendFlags.FRAME_BINARY)
  t.deepEqual(await ws.receiveFrame(), { n: 6, flags: SendFlags.FRAME_BINARY, eof: false, payload: binary })
  const big = Buffer.alloc(1024 * 1024, 7)
  await ws.sendFrame(big, SendFlags.FRAME_BINARY)
  t.true((await ws.receiveFrame()).payload.equals(big))

  await ws.sendFrame('are you there', FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PING)
  const pong = await ws.receiveFrame()
  t.is(pong.flags, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PONG)
  t.is(pong.payload.toString(), 'are you there')

  t.is(await ws.shutdown(1000, 'done'), 6)
  const close = await ws.receiveFrame()
  t.is(close.flags, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE)
  t.is(close.payload.readUInt16BE(0), 1000)
  t.deepEqual(await ws.receiveFrame(), { n: 0, flags: 0, eof: true, payload: Buffer.alloc(0) }, 'ws closes TCP after the close handshake')
  ws.close()
  t.deepEqual(await peerClosed, [1000, 'done'])
  wss.close()
})

test('a ws client ↔ our server: messages echo, a PING comes back, the close code and reason reach ws', async (t) => {
  const server = await startServer(echoHandler)
  const client = new WS(`ws://127.0.0.1:${server.port()}/`)
  await once(client, 'open')
  const messages: Array<[string, boolean]> = []
  client.on('message', (data: Buffer, isBinary: boolean) => messages.push([Buffer.from(data as Buffer).toString('hex'), isBinary]))

  client.send('text from ws')
  client.send(Buffer.from([1, 2, 3]))
  const ping = once(client, 'ping')
  client.ping('p')
  t.is(((await ping)[0] as Buffer).toString(), 'p', 'our echo handler returns the PING frame as is')
  t.deepEqual(messages, [
    [Buffer.from('text from ws').toString('hex'), false],
    ['010203', true],
  ])

  const big = Buffer.alloc(1024 * 1024 + 1, 9)
  client.send(big)
  const [echoed] = await once(client, 'message')
  t.true(Buffer.from(echoed as Buffer).equals(big))

  const closed = once(client, 'close')
  client.close(4000, 'custom reason')
  const [code, reason] = await closed
  t.is(code, 4000)
  t.is((reason as Buffer).toString(), 'custom reason')
  await server.stop()
})

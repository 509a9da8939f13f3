// The bridged attach path (what https.Server sockets and Windows use) on plain http, forced with
// POCO_WS_ATTACH=bridge: echo, frames right behind the request, and the peer's close.
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

import test from 'ava'
import WS from 'ws'

import { MessageWebSocket, WebSocketServer } from '../index'
import { clientFrame, rawExchange, upgradeRequest } from './helpers'

process.env.POCO_WS_ATTACH = 'bridge'

async function echoServer(): Promise<{ server: http.Server; wss: WebSocketServer; port: number }> {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws: MessageWebSocket) => ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, wss, port: (server.address() as AddressInfo).port }
}

test('bridged: echo both ways and the close handshake', async (t) => {
  const { server, wss, port } = await echoServer()
  const ws = new WS(`ws://127.0.0.1:${port}/`)
  await once(ws, 'open')
  ws.send(Buffer.from([1, 2, 3]))
  const [data, isBinary] = (await once(ws, 'message')) as [Buffer, boolean]
  t.deepEqual([...data], [1, 2, 3])
  t.true(isBinary)
  ws.close(1000)
  const [code] = (await once(ws, 'close')) as [number]
  t.is(code, 1000)
  wss.close()
  server.close()
})

test('bridged: frames right behind the upgrade request are delivered', async (t) => {
  const { server, wss, port } = await echoServer()
  const early = Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x81, Buffer.from('early1')), clientFrame(0x81, Buffer.from('early2'))])
  const text = (await rawExchange(port, early, (b) => b.includes('early2'))).toString('latin1')
  t.true(text.startsWith('HTTP/1.1 101 Switching Protocols'))
  t.true(text.includes('early1') && text.includes('early2'))
  wss.close()
  server.close()
})

// Chromium's own WebSocket against our WebSocketServer attached to a Node server ({ server, path }):
// Debian's headless Chromium, driven by playwright-core, loads a page from a plain http.Server and
// then from an Express app, opens ws://127.0.0.1:PORT/ws on the same port, gets a text and a binary
// (ArrayBuffer) message echoed, and closes with 4000, which the server's 'close' listener sees.
// The Express server enables permessage-deflate: Chromium offers it on every connection
// ("permessage-deflate; client_max_window_bits") and both directions are compressed.
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

import test, { type ExecutionContext } from 'ava'
import express from 'express'
import type { BrowserContext } from 'playwright-core'

import { MessageWebSocket, WebSocketServer } from '../index'
import { browserTest as browserTest_, launch } from './chromium'

const browserTest = browserTest_('browser-attach.test')

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>poco-websocket attach</title></head><body>attach</body></html>'

/** Echoes every message with its type; resolves the close code of the first connection. */
function echoAndRecordClose(wss: WebSocketServer, extensions: string[] = []): Promise<number> {
  return new Promise<number>((resolve) => {
    wss.on('connection', (ws: MessageWebSocket) => {
      extensions.push(ws.extensions)
      ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }))
      ws.on('close', (code: number) => resolve(code))
    })
  })
}

interface PageResult {
  text: string
  binaryIsArrayBuffer: boolean
  binary: number[]
  closeCode: number
  /** The page's `ws.extensions`: what Chromium took the server's 101 to say. */
  extensions: string
}

/** Loads the page at `/`, then in the page opens /ws, sends text and an ArrayBuffer, closes with 4000. */
async function driveBrowser(t: ExecutionContext, context: BrowserContext, port: number): Promise<PageResult> {
  const page = await context.newPage()
  const response = await page.goto(`http://127.0.0.1:${port}/`)
  t.is(response?.status(), 200)
  t.is(await page.title(), 'poco-websocket attach')
  return page.evaluate(
    (url) =>
      new Promise<PageResult>((resolve, reject) => {
        const ws = new WebSocket(url)
        ws.binaryType = 'arraybuffer'
        const received: Array<string | ArrayBuffer> = []
        const timer = setTimeout(() => reject(new Error(`timed out; received ${received.length}`)), 8000)
        ws.onerror = () => reject(new Error('WebSocket error in the page'))
        ws.onopen = () => {
          ws.send('hello from chromium ✓')
          ws.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x7f, 0xff]).buffer)
        }
        ws.onmessage = (event) => {
          received.push(event.data as string | ArrayBuffer)
          if (received.length === 2) ws.close(4000, 'done')
        }
        ws.onclose = (event) => {
          clearTimeout(timer)
          const [text, binary] = received
          resolve({
            text: typeof text === 'string' ? text : '(not text)',
            binaryIsArrayBuffer: binary instanceof ArrayBuffer,
            binary: binary instanceof ArrayBuffer ? Array.from(new Uint8Array(binary)) : [],
            closeCode: event.code,
            extensions: ws.extensions,
          })
        }
      }),
    `ws://127.0.0.1:${port}/ws`,
  )
}

function check(t: ExecutionContext, result: PageResult): void {
  t.is(result.text, 'hello from chromium ✓')
  t.true(result.binaryIsArrayBuffer, 'the binary message comes back as binary')
  t.deepEqual(result.binary, [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x7f, 0xff])
  t.is(result.closeCode, 4000, "the server's CLOSE answer echoes the page's code")
}

/** Stops the WebSocketServer, then the Node server (dropping the browser's keep-alive connections). */
async function stop(wss: WebSocketServer, server: http.Server): Promise<void> {
  await new Promise<void>((resolve) => wss.close(() => resolve()))
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

browserTest('Chromium: http.createServer() serves the page, { server, path: "/ws" } echoes text and binary, close 4000 reaches the server', async (t) => {
  t.timeout(90_000)
  const server = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      res.end(PAGE)
    } else {
      res.writeHead(404).end()
    }
  })
  const wss = new WebSocketServer({ server, path: '/ws' })
  const serverClose = echoAndRecordClose(wss)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => stop(wss, server).catch(() => {}))
  const port = (server.address() as AddressInfo).port

  const context = await launch(t)
  check(t, await driveBrowser(t, context, port))
  t.is(await serverClose, 4000)
})

browserTest('Chromium: an Express app serves the page and { server, path: "/ws", perMessageDeflate: true } on one port, compressed both ways; close 4000 reaches the server', async (t) => {
  t.timeout(90_000)
  const app = express()
  app.get('/', (_req, res) => res.type('html').send(PAGE))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: true })
  const extensions: string[] = []
  const serverClose = echoAndRecordClose(wss, extensions)
  t.teardown(() => stop(wss, server).catch(() => {}))
  const port = (server.address() as AddressInfo).port

  const context = await launch(t)
  const result = await driveBrowser(t, context, port)
  check(t, result)
  t.is(await serverClose, 4000)
  t.deepEqual(extensions, ['permessage-deflate'], "Chromium's offer was accepted")
  t.is(result.extensions, 'permessage-deflate')
})

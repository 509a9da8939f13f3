// Shared fixtures: our server with a test handler, our client, raw TCP peers.
import * as net from 'node:net'

import {
  FrameOpcodes,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  HTTPServer,
  HTTPServerRequest,
  HTTPServerResponse,
  WebSocket,
  type WebSocketOptions,
} from '../index'

export type Handler = (request: HTTPServerRequest, response: HTTPServerResponse) => void | Promise<void>

/** Starts our HTTPServer on 127.0.0.1 with an ephemeral port; `stop()` when done. */
export async function startServer(handler: Handler): Promise<HTTPServer> {
  const server = new HTTPServer({ createRequestHandler: () => ({ handleRequest: handler }) }, '127.0.0.1:0')
  server.onError = () => {}
  await server.start()
  return server
}

/** A handler that accepts the upgrade and echoes every frame (flags included) until CLOSE or EOF. */
export const echoHandler: Handler = async (request, response) => echo(await WebSocket.accept(request, response))

/** `echoHandler` for WebSockets with these options (e.g. `{ strict: false }` for raw Poco semantics). */
export const echoHandlerWith =
  (options: WebSocketOptions): Handler =>
  async (request, response) =>
    echo(await WebSocket.accept(request, response, options))

/** Echoes every frame (flags included) until CLOSE or EOF, then closes. */
export async function echo(ws: WebSocket): Promise<void> {
  for (;;) {
    const { flags, payload, eof } = await ws.receiveFrame()
    if (eof) break
    await ws.sendFrame(payload, flags)
    if ((flags & FrameOpcodes.FRAME_OP_BITMASK) === FrameOpcodes.FRAME_OP_CLOSE) break
  }
  ws.close()
}

/** Our client, connected to `port` on 127.0.0.1. */
export async function connect(port: number, path = '/', options: WebSocketOptions = {}): Promise<{ ws: WebSocket; response: HTTPResponse }> {
  const response = new HTTPResponse()
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, path, HTTPMessage.HTTP_1_1)
  const ws = await WebSocket.connect(new HTTPClientSession('127.0.0.1', port), request, response, undefined, options)
  return { ws, response }
}

/** The bytes hold a complete HTTP head. */
export const headComplete = (bytes: Buffer): boolean => bytes.includes('\r\n\r\n')

/**
 * Sends `data` on a raw TCP connection and collects what comes back until the peer closes,
 * `until(bytes)` holds, or `ms` pass; then closes.
 */
export function rawExchange(port: number, data: string | Buffer, until?: (bytes: Buffer) => boolean, ms = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1', () => socket.write(data))
    const timer = setTimeout(() => socket.destroy(), ms)
    socket.on('data', (chunk) => {
      chunks.push(chunk)
      if (until?.(Buffer.concat(chunks))) socket.destroy()
    })
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

/** Reads from a raw socket until `done(bytes)` is true. */
export function readUntil(socket: net.Socket, done: (bytes: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bytes = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      bytes = Buffer.concat([bytes, chunk])
      if (done(bytes)) {
        socket.off('data', onData)
        resolve(bytes)
      }
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
}

/** A valid upgrade request for a raw client, with `overrides` replacing or (value null) removing fields. */
export function upgradeRequest(overrides: Record<string, string | null> = {}, requestLine = 'GET / HTTP/1.1'): string {
  const fields: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...overrides,
  }
  const lines = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}`)
  return `${requestLine}\r\n${lines.join('\r\n')}\r\n\r\n`
}

/** A fake WebSocket server for client tests: `onRequest` gets the raw request head and the socket. */
export async function fakeServer(onRequest: (head: string, socket: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    void readUntil(socket, (bytes) => bytes.includes('\r\n\r\n')).then((bytes) => onRequest(bytes.toString('latin1'), socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() }
}

/** The Sec-WebSocket-Key of a raw request head. */
export function keyOf(head: string): string {
  return /sec-websocket-key:\s*(\S+)/i.exec(head)![1]
}

/** An unmasked server frame: first byte `flags`, then `payload`. */
export function serverFrame(flags: number, payload: Buffer): Buffer {
  const n = payload.length
  const header = n < 126 ? Buffer.from([flags, n]) : n < 65536 ? Buffer.from([flags, 126, n >> 8, n & 0xff]) : null
  if (header) return Buffer.concat([header, payload])
  const long = Buffer.alloc(10)
  long[0] = flags
  long[1] = 127
  long.writeBigUInt64BE(BigInt(n), 2)
  return Buffer.concat([long, payload])
}

/** A masked client frame, as a raw client must send, of any length. */
export function clientFrame(flags: number, payload: Buffer, mask = Buffer.from([1, 2, 3, 4])): Buffer {
  const n = payload.length
  const length =
    n < 126 ? Buffer.from([0x80 | n]) : n < 65536 ? Buffer.from([0x80 | 126, n >> 8, n & 0xff]) : Buffer.concat([Buffer.from([0x80 | 127]), u64(n)])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))
  return Buffer.concat([Buffer.from([flags]), length, mask, masked])
}

function u64(n: number): Buffer {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(n))
  return bytes
}

/** A raw client that has done the upgrade: its socket and the bytes that came after the 101. */
export async function rawUpgrade(port: number): Promise<{ socket: net.Socket; rest: Buffer }> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const answer = readUntil(socket, headComplete)
  socket.write(upgradeRequest())
  const bytes = await answer
  const end = bytes.indexOf('\r\n\r\n') + 4
  if (!bytes.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) throw new Error(`no upgrade: ${bytes.toString('latin1')}`)
  return { socket, rest: bytes.subarray(end) }
}

/** Everything a raw socket receives until the peer closes it (or `ms` pass). */
export function readToEnd(socket: net.Socket, already: Buffer = Buffer.alloc(0), ms = 5000): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks = [already]
    const timer = setTimeout(() => finish(false), ms)
    const finish = (closed: boolean): void => {
      clearTimeout(timer)
      resolve({ bytes: Buffer.concat(chunks), closed })
    }
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.once('close', () => finish(true))
    socket.once('end', () => finish(true))
  })
}

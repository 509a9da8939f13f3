import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { TLSSocket } from 'node:tls'

import type * as Native from '../native/index'
import { call, native, pump, type NativeWebSocket, type NativeWebSocketConfig } from './binding'

/**
 * An upgrade request Node's own HTTP server read (ws's `server`/`noServer` mode), checked with the
 * core's RFC 6455 §4.2.1 rules: why it is refused (ws's status and text), or what it offers.
 */
export function checkUpgrade(req: IncomingMessage, config: NativeWebSocketConfig): ReturnType<typeof native.checkUpgrade> {
  return call(() => native.checkUpgrade(...requestOf(req), config))
}

/** The 101's lines as ws's `'headers'` event shows them (the listener may add fields). */
export function switchingLines(key: string, protocol: string, extensions = ''): string[] {
  key = key.trim()
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${native.computeAccept(key)}`]
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`)
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`)
  return lines
}

/** Fields the core sets itself on the 101; a listener's copies of them are not sent twice. */
const CORE_FIELDS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-extensions'])

/** The fields of `lines` the core does not set itself, flat (`[name, value, …]`). */
export function extraFields(lines: string[]): string[] {
  const flat: string[] = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    if (!CORE_FIELDS.has(name.toLowerCase())) flat.push(name, line.slice(colon + 1).trim())
  }
  return flat
}

/**
 * Whether the engine can take this Node socket over: a plain TCP socket on Unix, whose descriptor
 * can be duplicated. A TLSSocket's bytes are encrypted by Node, so its descriptor cannot move.
 */
export function canTakeOver(socket: Duplex): boolean {
  // POCO_WS_ATTACH=bridge bridges every socket (the path Windows takes), for tests and comparison.
  if (process.env.POCO_WS_ATTACH === 'bridge') return false
  return process.platform !== 'win32' && !(socket instanceof TLSSocket) && typeof descriptor(socket) === 'number'
}

function descriptor(socket: Duplex): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd
  return typeof fd === 'number' && fd >= 0 ? fd : undefined
}

/**
 * Takes the TCP connection over: the engine duplicates the descriptor, writes the 101 and runs the
 * connection; Node's socket is then destroyed (never ended, which would shut the shared
 * connection down). The bytes Node read past the request (`head`, and any still queued in the
 * socket) go to the engine first, so nothing the client sent early is lost.
 */
export async function takeOver(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  lines: string[],
  config: NativeWebSocketConfig,
): Promise<NativeWebSocket> {
  // Node caches the addresses once read: `req.socket.remoteAddress` keeps working after destroy().
  void (socket as Duplex & { remoteAddress?: string }).remoteAddress
  void (socket as Duplex & { localAddress?: string }).localAddress
  const buffered = stopReading(socket, head)
  const started = call(() => native.adoptUpgrade(pump.native, descriptor(socket)!, ...requestOf(req), extraFields(lines), buffered, config))
  socket.destroy()
  return untilStarted(await started)
}

/**
 * For a socket the engine cannot take over (TLS, Windows): the connection runs over a bridge, and
 * this moves the bytes: what Node's socket reads goes in (reading pauses while the engine is 1 MiB
 * behind), what the engine writes goes out through `socket.write` (waiting for `'drain'`), and
 * the socket is ended once the engine is done.
 */
export async function bridge(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  lines: string[],
  config: NativeWebSocketConfig,
): Promise<NativeWebSocket> {
  const buffered = stopReading(socket, head)
  const link = await call(() => native.bridgeUpgrade(pump.native, ...requestOf(req), extraFields(lines), buffered, config))
  const impl = link.takeSocket()!
  socket.on('data', (chunk: Buffer) => {
    if (!link.push(chunk)) socket.pause()
  })
  const end = (): void => link.end()
  socket.on('end', end)
  socket.on('close', end)
  socket.on('error', end)
  socket.resume()
  void carryOutput(link, socket)
  return untilStarted(impl)
}

/** Pauses Node's socket and returns what the engine must read first: `head` and what Node still holds. */
function stopReading(socket: Duplex, head: Buffer): Buffer {
  socket.pause()
  const queued = socket.read() as Buffer | null
  return queued ? Buffer.concat([head, queued]) : head
}

/** The request line and fields as the native calls take them. */
function requestOf(req: IncomingMessage): [method: string, uri: string, version: string, rawHeaders: string[]] {
  return [req.method ?? 'GET', req.url ?? '/', req.httpVersion, req.rawHeaders]
}

/** Resolves once the 101 is on the wire and the connection runs. */
async function untilStarted(impl: NativeWebSocket): Promise<NativeWebSocket> {
  while (!impl.armStarted()) await pump.wait(impl.id)
  return impl
}

async function carryOutput(link: Native.NativeBridge, socket: Duplex): Promise<void> {
  for (;;) {
    for (let chunk = link.take(); chunk; chunk = link.take()) {
      if (!socket.write(chunk) && !socket.destroyed) await new Promise((resolve) => socket.once('drain', resolve).once('close', resolve))
    }
    if (socket.isPaused() && link.wantsInput && !socket.destroyed) socket.resume()
    if (link.finished || socket.destroyed) {
      socket.end()
      return
    }
    if (!link.arm()) await pump.wait(link.id)
  }
}

/** ws's answer to a refused upgrade, on Node's socket, which is then closed. */
export function abortHandshake(socket: Duplex, status: number, message?: string, headers?: Record<string, string | number>): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = message ?? STATUS_CODES[status] ?? ''
  const fields: Record<string, string | number> = {
    Connection: 'close',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  }
  const head = Object.entries(fields).map(([name, value]) => `${name}: ${value}`).join('\r\n')
  socket.once('finish', () => socket.destroy())
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n\r\n${body}`)
}

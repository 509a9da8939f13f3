import { call, deadlineAfter, native, pump, remaining, socketState, type NativeWebSocket, type NativeWebSocketConfig } from './binding'
import { FrameReceiver } from './FrameReceiver'
import { FrameFlags, FrameOpcodes, Mode, SendFlags, StatusCodes } from './enums'
import {
  AssertionViolationException,
  InvalidAccessException,
  InvalidArgumentException,
  TimeoutException,
} from './exceptions'
import type { HTTPClientSession } from './HTTPClientSession'
import type { HTTPCredentials } from './HTTPCredentials'
import type { HTTPRequest } from './HTTPRequest'
import type { HTTPResponse } from './HTTPResponse'
import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'
import { Socket, StreamSocket } from './Socket'

/** The result of {@link WebSocket.receiveFrame}: payload bytes and the raw first header byte. */
export interface FrameInfo {
  /**
   * Payload bytes received; -1: non-blocking mode and no complete frame yet. The end of input
   * is `{ n: 0, flags: 0 }` as in Poco, with `eof: true` (an empty non-final CONTINUATION frame
   * is `{ n: 0, flags: 0 }` too, with `eof: false`).
   */
  n: number
  /** The frame's first header byte: FIN and RSV bits ({@link FrameFlags}) and the opcode ({@link FrameOpcodes}). */
  flags: number
  /** True only at the end of input: the peer closed TCP (or the close handshake is over). */
  eof: boolean
}

/**
 * Protocol strictness and limits of one WebSocket (see README, "Defaults"). Given to
 * `accept`/`connect`, they apply from the first frame; the setters change them later.
 */
export interface WebSocketOptions {
  /**
   * RFC 6455 checks on every received frame (RSV bits, opcodes, masking, control frames,
   * fragmentation, UTF-8, close codes) and the close handshake; default true. Turn off for
   * extensions that use the RSV bits, or Poco's raw frame semantics.
   */
  strict?: boolean
  /** Largest frame payload, in bytes. */
  maxPayloadSize?: number
  /** Largest message (all its fragments), in bytes. */
  maxMessageSize?: number
  /** Most fragments of one message. */
  maxFragments?: number
  /** Milliseconds a CLOSE may go unanswered before TCP is closed. */
  closeTimeout?: number
}

/** The result of the growing-buffer {@link WebSocket.receiveFrame} overload. */
export interface ReceivedFrame extends FrameInfo {
  /** The frame's payload, `n` bytes. */
  payload: Buffer
}

const MAX_INT = 0x7fffffff
const EMPTY = Buffer.alloc(0)

/**
 * Poco's `WebSocket` (RFC 6455), frame level: one frame per receive, fragments and control
 * frames included, flags as the raw first header byte, no automatic PONG or CLOSE reply.
 */
export class WebSocket extends StreamSocket {
  /** The protocol version sent and required in Sec-WebSocket-Version: `"13"`. */
  static readonly WEBSOCKET_VERSION = '13'

  private constructor(impl: NativeWebSocket) {
    super(impl)
  }

  /** @internal A connection the engine took over from Node's HTTP server (`WebSocketServer`'s attach). */
  static _adopted(impl: NativeWebSocket): WebSocket {
    return new WebSocket(impl)
  }

  /**
   * Poco's client constructors: connects `cs` to its host, sends `request` with the upgrade
   * fields added, and leaves the server's answer in `response` (also when the upgrade fails).
   * With non-empty `credentials`, a 401 is answered once (Basic or Digest) with the same key;
   * a second 401 rejects with WS_ERR_UNAUTHORIZED. An `HTTPSClientSession` makes it wss (TLS
   * failures reject with `SSLException` or `CertificateValidationException`); a session proxy
   * is tunnelled through with CONNECT (a refusal rejects with `HTTPException`, code = status).
   */
  static async connect(
    cs: HTTPClientSession,
    request: HTTPRequest,
    response: HTTPResponse,
    credentials?: HTTPCredentials,
    options: WebSocketOptions = {},
  ): Promise<WebSocket> {
    return WebSocket._connect(cs, request, response, credentials, toNativeConfig(options))
  }

  /** @internal `connect` with the connection's native settings (the message API adds its own). */
  static async _connect(
    cs: HTTPClientSession,
    request: HTTPRequest,
    response: HTTPResponse,
    credentials: HTTPCredentials | undefined,
    config: NativeWebSocketConfig,
  ): Promise<WebSocket> {
    const proxy = cs._activeProxy()
    const handshake = await call(() =>
      native.connect(
        pump.native,
        cs.getHost(),
        cs.getPort(),
        request.getMethod(),
        request.getURI(),
        request.getVersion(),
        request.toFlatList(),
        {
          timeoutMs: cs._timeout(),
          username: credentials?.getUsername() ?? '',
          password: credentials?.getPassword() ?? '',
          websocket: config,
          proxyHost: proxy?.host,
          proxyPort: proxy?.port,
          proxyUsername: proxy?.username,
          proxyPassword: proxy?.password,
        },
        cs._tlsContext()?._native,
      ),
    )
    const answer = handshake.response()
    if (answer) response.assign(answer)
    return new WebSocket(call(() => handshake.takeSocket()))
  }

  /**
   * Poco's server constructor, inside a request handler: validates the upgrade request and
   * answers 101 (with any fields already set on `response`). On failure it rejects with
   * WebSocketException and sends nothing: the handler decides the answer (typically 400).
   */
  static async accept(request: HTTPServerRequest, response: HTTPServerResponse, options: WebSocketOptions = {}): Promise<WebSocket> {
    return WebSocket._accept(request, response, toNativeConfig(options))
  }

  /** @internal `accept` with the connection's native settings. */
  static async _accept(request: HTTPServerRequest, response: HTTPServerResponse, config: NativeWebSocketConfig): Promise<WebSocket> {
    const impl = response.upgrade(request, config)
    // Resolve once the 101 is on the wire and the socket is attached, as Poco's constructor returns.
    while (!impl.armStarted()) await pump.wait(impl.id)
    return new WebSocket(impl)
  }

  /** Poco's `WebSocket(const Socket&)`: another handle on the same WebSocket connection. */
  static from(socket: Socket): WebSocket {
    if (!(socket instanceof WebSocket) || socket._impl === null) {
      throw new InvalidArgumentException('Cannot assign incompatible socket')
    }
    return new WebSocket(socket._impl)
  }

  /** @internal The native connection, for `MessageWebSocket.from`. */
  static _native(socket: WebSocket): NativeWebSocket {
    return socket.open()
  }

  /** Poco's `computeAccept`: base64(SHA-1(key + GUID)). */
  static computeAccept(key: string): string {
    return native.computeAccept(key)
  }

  /** Poco's `createKey`: 16 random bytes, base64. */
  static createKey(): string {
    return native.createKey()
  }

  /**
   * Sends exactly one frame. `flags` is the frame's first header byte (FIN, RSV, opcode);
   * client frames are masked. Resolves to the payload length once the frame is buffered and
   * the write buffer is under its high-water mark (TimeoutException after the send timeout).
   * Non-blocking: -1 while the write buffer is full; repeat the call with the same length.
   */
  async sendFrame(buffer: Uint8Array | string, flags: number = SendFlags.FRAME_TEXT): Promise<number> {
    const impl = this.open()
    if (!Number.isInteger(flags)) throw new InvalidArgumentException('flags must be an integer')
    return this.send(impl, flags & 0xff, toPayload(buffer))
  }

  /** Receives one frame into `buffer`; a frame larger than `buffer` rejects and stays queued. */
  receiveFrame(buffer: Uint8Array): Promise<FrameInfo>
  /** Receives one frame into a new Buffer (Poco's growing `Buffer<char>` overload). */
  receiveFrame(): Promise<ReceivedFrame>
  /**
   * Blocking: waits for a frame, TimeoutException when none comes within the receive timeout
   * (nothing of a frame is consumed by a timeout). Non-blocking: `n` is -1 when no complete
   * frame is there yet.
   */
  async receiveFrame(buffer?: Uint8Array): Promise<FrameInfo | ReceivedFrame> {
    const impl = this.open()
    if (buffer !== undefined && !(buffer instanceof Uint8Array)) {
      throw new InvalidArgumentException('buffer must be a Uint8Array')
    }
    const receiver = FrameReceiver.of(impl)
    let deadline: number | undefined
    for (let first = true; ; first = false) {
      const frame = receiver.front()
      if (frame) {
        if (buffer) call(() => native.checkCapacity(frame.payload.length, buffer.length))
        receiver.take()
        return result(frame.flags, frame.payload, buffer, false)
      }
      const end = receiver.end()
      if (end === 'failed') {
        // The error that ended input, thrown as its Poco class.
        call(() => impl.receive())
      }
      if (end !== null) return result(0, EMPTY, buffer, true)
      if (first) {
        const state = socketState(impl)
        if (!state.blocking) return this.receiveNow(impl, buffer)
        deadline = deadlineAfter(state.receiveTimeout)
      }
      if (!(await receiver.wait(remaining(deadline)))) throw new TimeoutException()
      this.open()
    }
  }

  /** Non-blocking: a frame already queued in the core, or -1. */
  private receiveNow(impl: NativeWebSocket, buffer: Uint8Array | undefined): FrameInfo | ReceivedFrame {
    if (buffer) return call(() => impl.receiveInto(buffer)) ?? { n: -1, flags: 0, eof: false }
    const frame = call(() => impl.receive())
    return frame ? result(frame.flags, frame.payload, undefined, frame.eof) : { n: -1, flags: 0, eof: false, payload: EMPTY }
  }

  /**
   * Sends a CLOSE frame with the status code and message; resolves to its payload length
   * (-1 in non-blocking mode while it cannot be buffered). It does not wait for the peer's
   * CLOSE and does not close TCP (as in Poco).
   */
  async shutdown(statusCode: number = StatusCodes.WS_NORMAL_CLOSE, statusMessage = ''): Promise<number> {
    const impl = this.open()
    if (!Number.isInteger(statusCode) || statusCode < 0 || statusCode > 0xffff) {
      throw new InvalidArgumentException('statusCode must be an integer from 0 to 65535')
    }
    const payload = call(() => native.closePayload(statusCode, String(statusMessage)))
    return this.send(impl, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE, payload)
  }

  /** Poco's `sendBytes` on a WebSocket: one frame; flags 0 means FRAME_BINARY. */
  async sendBytes(buffer: Uint8Array | string, flags = 0): Promise<number> {
    return this.sendFrame(buffer, flags === 0 ? SendFlags.FRAME_BINARY : flags)
  }

  /** Poco's `receiveBytes` on a WebSocket: one frame into `buffer`; resolves to its length. */
  async receiveBytes(buffer: Uint8Array): Promise<number> {
    return (await this.receiveFrame(buffer)).n
  }

  /** WS_CLIENT if this end masks its frames, else WS_SERVER. */
  mode(): Mode {
    return this.open().mode() as Mode
  }

  /** Frames declaring a larger payload are rejected with WS_ERR_PAYLOAD_TOO_BIG. */
  setMaxPayloadSize(maxPayloadSize: number): void {
    if (!Number.isInteger(maxPayloadSize) || maxPayloadSize <= 0 || maxPayloadSize > MAX_INT) {
      throw new AssertionViolationException('maxPayloadSize must be an integer from 1 to 2147483647')
    }
    this.open().setConfig({ maxPayloadSize })
  }

  /** The largest frame payload accepted, in bytes. */
  getMaxPayloadSize(): number {
    return this.open().getConfig().maxPayloadSize!
  }

  /** Turns the RFC 6455 checks on received frames on or off (see {@link WebSocketOptions.strict}). */
  setStrict(strict: boolean): void {
    this.open().setConfig({ strict: Boolean(strict) })
  }

  /** Whether the RFC 6455 checks are on. */
  getStrict(): boolean {
    return this.open().getConfig().strict!
  }

  /** A message (all fragments together) over this size fails the connection with 1009. */
  setMaxMessageSize(bytes: number): void {
    this.open().setConfig({ maxMessageSize: checkLimit(bytes) })
  }

  /** The largest message accepted, in bytes. */
  getMaxMessageSize(): number {
    return this.open().getConfig().maxMessageSize!
  }

  /** A message of more fragments fails the connection with 1009. */
  setMaxFragments(count: number): void {
    this.open().setConfig({ maxFragments: checkLimit(count) })
  }

  /** The most fragments a message may have. */
  getMaxFragments(): number {
    return this.open().getConfig().maxFragments!
  }

  /** Milliseconds a CLOSE may go unanswered before TCP is closed. */
  setCloseTimeout(milliseconds: number): void {
    this.open().setConfig({ closeTimeoutMs: checkLimit(milliseconds) })
  }

  /** Milliseconds a CLOSE may go unanswered before TCP is closed. */
  getCloseTimeout(): number {
    return this.open().getConfig().closeTimeoutMs!
  }

  /** Not on a WebSocket: it is connected by `WebSocket.connect`. */
  connect(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot connect() a WebSocketImpl')
  }

  /** Not on a WebSocket. */
  connectNB(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot connectNB() a WebSocketImpl')
  }

  /** Not on a WebSocket. */
  bind(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot bind() a WebSocketImpl')
  }

  /** Not on a WebSocket. */
  listen(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot listen() on a WebSocketImpl')
  }

  /** Not on a WebSocket. */
  sendUrgent(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot sendUrgent() on a WebSocketImpl')
  }

  /** Not on a WebSocket. */
  acceptConnection(..._args: unknown[]): never {
    throw new InvalidAccessException('Cannot acceptConnection() on a WebSocketImpl')
  }

  private async send(impl: NativeWebSocket, flags: number, payload: Uint8Array): Promise<number> {
    // One native call when the write buffer has room (the common case).
    const sent = call(() => impl.sendFramePoco(flags, payload))
    if (sent !== native.SEND_OVER_HIGH_WATER) return sent
    if (!(await this.waitWritable(impl, deadlineAfter(impl.getSendTimeout())))) throw new TimeoutException()
    return payload.length
  }
}

/** A receive's result: into the caller's buffer, or with a payload of its own. */
function result(flags: number, payload: Buffer, buffer: Uint8Array | undefined, eof: boolean): FrameInfo | ReceivedFrame {
  if (!buffer) return { n: payload.length, flags, eof, payload }
  buffer.set(payload)
  return { n: payload.length, flags, eof }
}

function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentException('expected a positive integer', String(n))
  return n
}

/** @internal The native form of `options`, checked. */
export function toNativeConfig(options: WebSocketOptions): NativeWebSocketConfig {
  const { strict, maxPayloadSize, maxMessageSize, maxFragments, closeTimeout } = options
  for (const n of [maxPayloadSize, maxMessageSize, maxFragments, closeTimeout]) if (n !== undefined) checkLimit(n)
  return { strict, maxPayloadSize, maxMessageSize, maxFragments, closeTimeoutMs: closeTimeout }
}

function toPayload(buffer: Uint8Array | string): Uint8Array {
  const payload = typeof buffer === 'string' ? Buffer.from(buffer, 'utf8') : buffer
  if (!(payload instanceof Uint8Array)) throw new InvalidArgumentException('buffer must be a Uint8Array or a string')
  return payload
}

import { EventEmitter } from 'node:events'
import { IncomingMessage } from 'node:http'
import { Socket as NodeSocket } from 'node:net'
import type { Readable } from 'node:stream'

import { call, native, pump, socketState, translate, type NativeWebSocket, type NativeWebSocketConfig } from './binding'
import { ErrorCodes, FrameFlags, FrameOpcodes } from './enums'
import {
  ConnectionResetException,
  Exception,
  InvalidArgumentException,
  InvalidSocketException,
  TimeoutException,
  WebSocketException,
} from './exceptions'
import { Context, type Pem } from './Context'
import { HTTPClientSession } from './HTTPClientSession'
import { HTTPSClientSession } from './HTTPSClientSession'
import { HTTPMessage } from './HTTPMessage'
import { HTTPRequest } from './HTTPRequest'
import { HTTPResponse, HTTPStatus } from './HTTPResponse'
import type { PublishData, PublishOptions, Topics } from './topics'
import { toNativeConfig, WebSocket, type WebSocketOptions } from './WebSocket'
import { binaryMessage, isBinaryType, type BinaryType } from './binaryType'
import { defineEventTarget, type CloseEvent, type ErrorEvent, type Event, type EventListener, type MessageEvent } from './EventTarget'
import { deflateConfig, type PerMessageDeflate } from './perMessageDeflate'

/** The message API's defaults, from the core's one table (README, "Defaults"). */
const DEFAULTS = native.messageDefaults()

/**
 * Settings of a message-level socket, on top of the frame-level {@link WebSocketOptions}
 * (strictness, limits, close timeout).
 */
export interface MessageSocketOptions extends WebSocketOptions {
  /** Largest message in bytes (ws's `maxPayload`); sets `maxPayloadSize` and `maxMessageSize`. */
  maxPayload?: number
  /** Milliseconds of silence from the peer before the runtime sends a PING (0: never). Default 30000. */
  pingInterval?: number
  /**
   * Milliseconds without anything from the peer (PONGs included) before the connection is
   * dropped with close code 1006, as uWebSockets.js's `idleTimeout` (0: never). Default 120000.
   */
  idleTimeout?: number
  /** `send()` returns false, and `drain` follows, above this many buffered bytes. Default 4 MiB. */
  highWaterMark?: number
  /**
   * Over this many buffered bytes the peer is taken to be not reading: the connection is
   * terminated (close code 1006, an `error` event). Default 0: never.
   */
  maxBackpressure?: number
  /** ws's `autoPong`: the runtime answers each PING with a PONG. False: only `ping` is emitted, answer with `pong()`. Default true. */
  autoPong?: boolean
  /**
   * permessage-deflate (RFC 7692), ws's option: false, true (ws's defaults) or
   * {@link PerMessageDeflateOptions}. Default: offered by a client, off on a server (as ws).
   */
  perMessageDeflate?: PerMessageDeflate
}

/** Client settings: the socket's, plus the handshake's. */
export interface MessageClientOptions extends MessageSocketOptions {
  /** TLS settings for wss:// (Poco's client `Context`). Default: `Context.defaultClientContext()`. */
  context?: Context
  /** ws's shorthand when no `context` is given: extra CA certificates (PEM) to trust for wss://. */
  ca?: Pem | Pem[]
  /** ws's shorthand when no `context` is given: false accepts any server certificate (VERIFY_NONE). */
  rejectUnauthorized?: boolean
  /** Tunnel through this HTTP proxy (CONNECT), with Basic credentials when given. */
  proxy?: MessageProxyOptions
  /** Extra request header fields. */
  headers?: Record<string, string>
  /** Handshake deadline in milliseconds. Default 60000. */
  handshakeTimeout?: number
  /** Sent as the Origin field. */
  origin?: string
  /** ws's Sec-WebSocket-Version choice: only 13 is implemented (anything else throws RangeError). */
  protocolVersion?: number
  /**
   * Follow 3xx answers with a Location field (ws's option, default false): the handshake is
   * made again to the new URL, `redirect (url)` is emitted first. Auth headers are dropped when
   * the host changes, as ws.
   */
  followRedirects?: boolean
  /** Most redirects to follow (default 10); one more fails with `Maximum redirects exceeded`. */
  maxRedirects?: number
}

/**
 * What `upgrade` and `unexpected-response` give as the response: a Node `http.IncomingMessage`
 * (as ws's) with the fields known once the handshake is over; the body is not kept by the core,
 * so the stream ends at once.
 */
export interface HandshakeResponse extends Readable {
  /** The status code (101 for `upgrade`). */
  statusCode: number
  /** The reason phrase. */
  statusMessage: string
  /** '1.1' or '1.0'. */
  httpVersion: string
  /** Field names in lower case; repeated fields joined with ', ' (set-cookie: an array), as Node. */
  headers: Record<string, string | string[]>
  /** Name, value, name, value… as received. */
  rawHeaders: string[]
}

/** What `unexpected-response` gives as the request (ws: the `http.ClientRequest`). */
export interface HandshakeRequest {
  /** 'GET'. */
  method: string
  /** The request target (path and query). */
  path: string
  /** The host connected to. */
  host: string
  /** The request fields sent by the application (the upgrade fields are added by the core). */
  getHeader(name: string): string | undefined
  /** Nothing to abort any more (the core has closed the connection): the response is let end; kept for ws's code. */
  abort(): void
  /** As abort(). */
  destroy(): void
}

/** The HTTP proxy of a {@link MessageWebSocket} client. */
export interface MessageProxyOptions {
  /** The proxy's host name or address. */
  host: string
  /** The proxy's port. */
  port: number
  /** Basic proxy credentials (Proxy-Authorization), when the proxy asks for them. */
  username?: string
  /** The password that goes with `username`. */
  password?: string
}

/** The options of `send`, as ws's (`mask` is taken and ignored: see the README). */
export interface SendOptions {
  /** Send as binary (default: unless `data` is a string). */
  binary?: boolean
  /** Whether this is the message's last fragment (default true). */
  fin?: boolean
  /**
   * Compress this message when permessage-deflate was negotiated (default true, as ws).
   * Fragments (`fin: false` and what follows) and messages under the threshold go uncompressed.
   */
  compress?: boolean
  /** ws's masking switch; the runtime masks exactly the client's frames, so ignored. */
  mask?: boolean
}

/** What `for await (const message of socket)` yields. */
export interface Message {
  /** The payload (text messages as UTF-8 bytes, as ws). */
  data: Buffer
  /** Whether it was a binary message. */
  isBinary: boolean
}

/**
 * What `send`, `ping` and `pong` take: a string is sent as UTF-8, a number as its string, and
 * `undefined` or `null` as an empty payload (as ws); an array of Buffers (binaryType 'fragments')
 * as its bytes joined; a Blob once it is read (as ws: later sends wait for it).
 */
export type Data = string | number | Buffer | ArrayBuffer | ArrayBufferView | readonly Buffer[] | Blob | null | undefined

/** ws's names of the ready states, for its error messages. */
const READY_STATES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']

const EMPTY = Buffer.alloc(0)
/** Every message as a Buffer, whatever the binaryType: what async iteration yields. */
const RAW_MESSAGE = Symbol('rawMessage')
/** A held end of input (flags), and its payload when it failed. */
const HELD_END = -1
const FAILED = Buffer.alloc(0)
/** Messages an async iterator buffers before it pauses reading. */
const ITERATOR_HIGH_WATER = DEFAULTS.iteratorHighWater

/**
 * A WebSocket at the message level, with ws's names: events `open`, `message (data, isBinary)`,
 * `ping`, `pong`, `close (code, reason)`, `error`, `drain`; `send`, `ping`, `pong`, `close`,
 * `terminate`, `bufferedAmount`, `readyState`; and async iteration. It runs on the same
 * connection engine as the Poco frame API: the runtime joins fragments, answers PINGs and the
 * peer's CLOSE, sends keepalive PINGs and drops silent peers; messages reach JS in batches.
 */
export class MessageWebSocket extends EventEmitter {
  // The ready states are defined below the class, as ws has them: read-only, non-configurable
  // and enumerable, on the class and on the prototype (class fields would be own, writable).
  /** readyState: the client handshake is in progress. */
  declare static readonly CONNECTING: 0
  /** readyState: messages flow both ways. */
  declare static readonly OPEN: 1
  /** readyState: a CLOSE was sent or received; waiting for the close handshake to end. */
  declare static readonly CLOSING: 2
  /** readyState: TCP is closed. */
  declare static readonly CLOSED: 3
  /** {@link MessageWebSocket.CONNECTING} on the instance, as ws has it. */
  declare readonly CONNECTING: 0
  /** {@link MessageWebSocket.OPEN} on the instance. */
  declare readonly OPEN: 1
  /** {@link MessageWebSocket.CLOSING} on the instance. */
  declare readonly CLOSING: 2
  /** {@link MessageWebSocket.CLOSED} on the instance. */
  declare readonly CLOSED: 3

  // The WHATWG-style surface, defined on the prototype by defineEventTarget (as ws's).
  /** ws's `addEventListener`: 'open', 'message', 'close' and 'error' with ws's event objects. */
  declare addEventListener: {
    (type: 'message', listener: EventListener<MessageEvent>, options?: { once?: boolean }): void
    (type: 'close', listener: EventListener<CloseEvent>, options?: { once?: boolean }): void
    (type: 'error', listener: EventListener<ErrorEvent>, options?: { once?: boolean }): void
    (type: 'open', listener: EventListener<Event>, options?: { once?: boolean }): void
  }
  /** Removes a listener added with `addEventListener`. */
  declare removeEventListener: (type: 'open' | 'message' | 'close' | 'error', listener: EventListener<never>) => void
  /** The `open` attribute listener (null for none). */
  declare onopen: ((this: MessageWebSocket, event: Event) => void) | null
  /** The `message` attribute listener. */
  declare onmessage: ((this: MessageWebSocket, event: MessageEvent) => void) | null
  /** The `close` attribute listener. */
  declare onclose: ((this: MessageWebSocket, event: CloseEvent) => void) | null
  /** The `error` attribute listener. */
  declare onerror: ((this: MessageWebSocket, event: ErrorEvent) => void) | null

  private address: string
  private impl: NativeWebSocket | null = null
  /** The topics of the WebSocketServer that accepted this socket (none for a client). */
  private topics: Topics | null = null
  private state: number = MessageWebSocket.CONNECTING
  private selectedProtocol = ''
  private options: MessageSocketOptions = {}
  private paused = false
  /** Frames taken in a batch after pause(): emitted on resume(). */
  private held: Array<[number, Buffer]> = []
  private needDrain = false
  /** Payload bytes in the outbox, and the write buffer's size after the last flush. */
  private pending = 0
  private buffered = 0
  private closeCode = 1006
  private closeReason: Buffer = EMPTY
  private kind: BinaryType = 'nodebuffer'
  /** The peer's CLOSE arrived (the runtime answers it): the close handshake was done. */
  private closeReceived = false
  /** Bytes given to send, ping and pong after the socket left OPEN (ws counts them). */
  private afterClose = 0
  /** The encoded size of the CLOSE frame close() queued: not data, so not in `bufferedAmount`. */
  private closeFrameBytes = 0
  /**
   * While a Blob given to send, ping or pong is read (ws's sender): the sends made after it,
   * in order, and the bytes they and the Blob hold. Null when no Blob is being read.
   */
  private blobWait: { queue: Array<{ run: () => void; callback?: (error?: Error) => void }>; bytes: number } | null = null
  /** @internal For the outbox (see `Sender`). */
  _id = 0
  /** @internal */
  _queued = false
  /**
   * close() or terminate() ended the handshake (ws's abortHandshake): a connection that still
   * completes is closed at once, and `open` never comes.
   */
  private aborted = false
  /** terminate() was called: `close` comes from a setImmediate. */
  private terminating = false

  /**
   * Connects as a client: `ws://host:port/path`. `protocols` are offered as subprotocols;
   * the socket emits `open` once the server accepted, or `error` then `close`.
   */
  constructor(url: string | URL, protocols?: string | string[], options?: MessageClientOptions | null)
  constructor(url: string | URL, options?: MessageClientOptions)
  constructor(
    url: string | URL | typeof ATTACH,
    protocols?: string | string[] | MessageClientOptions | null,
    options?: MessageClientOptions | null,
  ) {
    super()
    // ws takes `null` for "no options" too.
    options ??= {}
    if (url === ATTACH) {
      this.address = ''
      return
    }
    if (protocols !== undefined && protocols !== null && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols
      protocols = undefined
    }
    // ws's checks and messages, in ws's order (initAsClient).
    const version = options.protocolVersion ?? 13
    if (version !== 13) throw new RangeError(`Unsupported protocol version: ${version} (supported versions: 13)`)
    const target = clientURL(url)
    this.address = target.href
    const offered = checkedProtocols(protocols)
    // After the caller had the chance to add its listeners, as with ws.
    queueMicrotask(() => void this.connect(target, offered, options))
  }

  /**
   * Takes over a connection opened with the Poco frame API (`WebSocket.accept`/`connect`):
   * from now on the runtime reassembles messages and answers control frames, and the frame
   * API object must not be used any more. Call it before any frame was received.
   */
  static from(socket: WebSocket, options: MessageSocketOptions = {}, protocol = ''): MessageWebSocket {
    return MessageWebSocket.attached(socket, options, protocol, true)
  }

  /**
   * @internal For WebSocketServer: a connection accepted with {@link messageConfig} already,
   * so that the runtime handled even the frames right behind the handshake in message mode.
   */
  static _accepted(socket: WebSocket, options: MessageSocketOptions, protocol: string, Class?: typeof MessageWebSocket): MessageWebSocket {
    return MessageWebSocket.attached(socket, options, protocol, false, Class)
  }

  private static attached(
    socket: WebSocket,
    options: MessageSocketOptions,
    protocol: string,
    configure: boolean,
    Class: typeof MessageWebSocket = MessageWebSocket,
  ): MessageWebSocket {
    // A subclass (ws's `WebSocket` server option) gets the marker through its constructor's super().
    const ws = new Class(ATTACH as unknown as string)
    ws.selectedProtocol = protocol
    ws.attach(WebSocket._native(socket), options, configure)
    return ws
  }

  /** The URL this client connected to ('' on the server side). */
  get url(): string {
    return this.address
  }

  /** The names of the negotiated extensions, as ws gives them: 'permessage-deflate' or ''. */
  get extensions(): string {
    return this.impl?.extensions ?? ''
  }

  /** @internal For CloseEvent.wasClean. */
  get _wasClean(): boolean {
    return this.closeReceived
  }

  /** CONNECTING, OPEN, CLOSING or CLOSED (ws's numbers). */
  get readyState(): number {
    return this.state
  }

  /** The subprotocol the server selected ('' for none). */
  get protocol(): string {
    return this.selectedProtocol
  }

  /**
   * Bytes accepted by `send` and not yet written to the socket, plus (as ws and the WHATWG
   * spec) what was given to send after the socket left OPEN. The CLOSE frame of `close()` is not
   * counted (it is the last frame in the write buffer).
   */
  get bufferedAmount(): number {
    const queued = this.impl && !socketState(this.impl).closed ? Math.max(0, this.impl.bufferedAmount - this.closeFrameBytes) + this.pending : 0
    return queued + this.afterClose + (this.blobWait?.bytes ?? 0)
  }

  /**
   * How binary messages reach `message` listeners: 'nodebuffer' (a Buffer, the default),
   * 'arraybuffer', 'fragments' (an array of Buffers: one, as messages arrive joined) or 'blob'
   * (where Node has Blob). Other values are ignored, as ws. Text messages stay Buffers.
   */
  get binaryType(): BinaryType {
    return this.kind
  }

  /** Sets how binary messages are delivered; an unknown value is ignored (as ws). */
  set binaryType(type: BinaryType) {
    if (isBinaryType(type)) this.kind = type
  }

  /** Whether `pause()` is in effect. */
  get isPaused(): boolean {
    return this.paused
  }

  /**
   * Sends one message: text for a string (unless `binary` is true), binary otherwise.
   * Returns false when the write buffer is over the high-water mark (wait for `drain`).
   * `callback` runs once the message is in the write buffer, or with the error.
   */
  send(data: Data, callback?: (error?: Error) => void): boolean
  send(data: Data, options?: SendOptions, callback?: (error?: Error) => void): boolean
  send(data: Data, options?: SendOptions | ((error?: Error) => void), callback?: (error?: Error) => void): boolean {
    if (typeof options === 'function') {
      callback = options
      options = {}
    }
    if (typeof data === 'number') data = String(data)
    if (this.state !== MessageWebSocket.OPEN) return this.notOpen(data, callback)
    const binary = options?.binary ?? typeof data !== 'string'
    let opcode = binary ? FrameOpcodes.FRAME_OP_BINARY : FrameOpcodes.FRAME_OP_TEXT
    const fin = options?.fin ?? true
    // RSV1 asks the core to compress; it does only where permessage-deflate was negotiated.
    if (options?.compress !== false) opcode |= FrameFlags.FRAME_FLAG_RSV1
    // Strings and Buffers (nearly every send) are not Blobs: skip the Blob check for them.
    if (typeof data !== 'string' && !(data instanceof Uint8Array) && isBlob(data)) return this.sendBlob(opcode, data, callback, fin)
    const payload = toBytes(data)
    if (this.blobWait) return this.afterBlob(() => this.sendFrame(opcode, payload, callback, fin), payload.length, callback)
    return this.sendFrame(opcode, payload, callback, fin)
  }

  /**
   * ws's Blob sends: the Blob is read, then sent; what is sent meanwhile waits behind it. The
   * Blob's size counts in `bufferedAmount` while it is read.
   */
  private sendBlob(opcode: number, blob: Blob, callback: ((error?: Error) => void) | undefined, fin = true): boolean {
    if (this.blobWait) return this.afterBlob(() => this.sendBlob(opcode, blob, callback, fin), blob.size, callback)
    const wait: NonNullable<MessageWebSocket['blobWait']> = { queue: [], bytes: blob.size }
    this.blobWait = wait
    blob.arrayBuffer().then(
      (contents) => {
        if (this.state === MessageWebSocket.CLOSED || this.terminating || !this.impl || socketState(this.impl).closed) {
          // Outside the promise chain, so that a callback's throw is uncaught (as ws).
          process.nextTick(() => this.dropBlobWait(wait, new Error('The socket was closed while the blob was being read'), callback))
          return
        }
        this.blobWait = null
        this.sendFrame(opcode, new Uint8Array(contents), callback, fin)
        // The sends that waited, in order, until one of them is a Blob again.
        for (let next = wait.queue.shift(); next; next = wait.queue.shift()) {
          next.run()
          // run() may have started reading another Blob: the rest waits for that one.
          const again = this.blobWait as MessageWebSocket['blobWait']
          if (again) {
            again.queue.push(...wait.queue)
            again.bytes += wait.bytes - blob.size
            break
          }
        }
      },
      (error: unknown) => {
        process.nextTick(() => {
          this.dropBlobWait(wait, error as Error, callback)
          // ws: the connection is closed without a CLOSE frame, after an `error`.
          if (this.state === MessageWebSocket.CLOSED) return
          this.fail(error)
        })
      },
    )
    return true
  }

  /** A send made while a Blob is read: it runs once the Blob was sent. */
  private afterBlob(run: () => void, bytes: number, callback?: (error?: Error) => void): boolean {
    const wait = this.blobWait!
    wait.bytes += bytes
    wait.queue.push({
      run: () => {
        wait.bytes -= bytes
        run()
      },
      callback,
    })
    return true
  }

  /** The Blob's read failed or came too late: its callback and those of the sends behind it get `error`. */
  private dropBlobWait(wait: NonNullable<MessageWebSocket['blobWait']>, error: Error, callback?: (error?: Error) => void): void {
    if (this.blobWait === wait) this.blobWait = null
    callback?.(error)
    for (const queued of wait.queue) queued.callback?.(error)
    wait.queue.length = 0
    wait.bytes = 0
  }

  /** @internal A WebSocketServer's socket: its topics. */
  _joinTopics(topics: Topics): void {
    this.topics = topics
  }

  /**
   * Subscribes this socket to `topic` (uWS's and Bun's pub/sub; sockets of a WebSocketServer
   * only). False when it already was. A closed socket leaves every topic.
   */
  subscribe(topic: string): boolean {
    const impl = this.topicSocket()
    return call(() => this.topics!.native.subscribe(impl, String(topic)))
  }

  /** Leaves `topic`; false when it was not subscribed. */
  unsubscribe(topic: string): boolean {
    return this.topics !== null && this.impl !== null && this.topics.native.unsubscribe(this._id, String(topic))
  }

  /** Whether this socket is subscribed to `topic`. */
  isSubscribed(topic: string): boolean {
    return this.topics !== null && this.impl !== null && this.topics.native.isSubscribed(this._id, String(topic))
  }

  /** The topics this socket is subscribed to, sorted (uWS's `getTopics`; Bun's `subscriptions`). */
  getTopics(): string[] {
    return this.topics && this.impl ? this.topics.native.topicsOf(this._id) : []
  }

  /** Bun's name for {@link getTopics}. */
  get subscriptions(): string[] {
    return this.getTopics()
  }

  /**
   * Sends to every subscriber of `topic` but this socket; true when this server has one (see
   * `WebSocketServer.publish`). With the server's `redis` option, the other nodes' subscribers get it too.
   */
  publish(topic: string, data: PublishData, options?: PublishOptions): boolean {
    this.topicSocket()
    return this.topics!.publish(topic, data, options, this._id)
  }

  private topicSocket(): NativeWebSocket {
    if (!this.topics) throw new InvalidArgumentException('Only sockets of a WebSocketServer have topics')
    if (!this.impl || this.state !== MessageWebSocket.OPEN) throw new InvalidSocketException()
    return this.impl
  }

  /**
   * Sends a PING (at most 125 bytes of payload). ws's `ping(data, mask, cb)` forms are taken;
   * `mask` is ignored: the runtime masks every client frame and no server frame (RFC 6455 §5.1).
   */
  ping(data?: Data | ((error?: Error) => void), mask?: boolean | ((error?: Error) => void), callback?: (error?: Error) => void): void {
    this.control(FrameOpcodes.FRAME_OP_PING, data, mask, callback)
  }

  /** Sends an unsolicited PONG (PINGs are answered by the runtime already); as `ping` otherwise. */
  pong(data?: Data | ((error?: Error) => void), mask?: boolean | ((error?: Error) => void), callback?: (error?: Error) => void): void {
    this.control(FrameOpcodes.FRAME_OP_PONG, data, mask, callback)
  }

  private control(
    opcode: number,
    data: Data | ((error?: Error) => void),
    mask: boolean | ((error?: Error) => void) | undefined,
    callback: ((error?: Error) => void) | undefined,
  ): void {
    if (typeof data === 'function') {
      callback = data
      data = undefined
    } else if (typeof mask === 'function') callback = mask
    if (typeof data === 'number') data = String(data)
    if (this.state !== MessageWebSocket.OPEN) {
      this.notOpen(data, callback)
      return
    }
    checkControlSize(isBlob(data) ? data.size : toBytes(data).length)
    if (isBlob(data)) {
      this.sendBlob(opcode, data, callback)
      return
    }
    const payload = controlPayload(data)
    if (this.blobWait) this.afterBlob(() => this.sendFrame(opcode, payload, callback), payload.length, callback)
    else this.sendFrame(opcode, payload, callback)
  }

  /**
   * ws's behaviour for sends outside OPEN: while connecting they throw; after close the bytes
   * count in `bufferedAmount` and the callback gets the error.
   */
  private notOpen(data: Data, callback?: (error?: Error) => void): false {
    const error = new InvalidSocketException(`WebSocket is not open: readyState ${this.state} (${READY_STATES[this.state]})`)
    if (this.state === MessageWebSocket.CONNECTING) throw error
    if (data) this.afterClose += isBlob(data) ? data.size : toBytes(data).length
    if (callback) process.nextTick(callback, error)
    return false
  }

  /**
   * Starts the close handshake: sends a CLOSE with `code` (1000, 1001-1003, 1007-1014 or
   * 3000-4999; none sends an empty CLOSE) and `reason` (at most 123 bytes of UTF-8). `close`
   * follows once the peer answered and TCP is closed, or after the close timeout.
   */
  close(code?: number, reason?: string | Buffer): void {
    // Before the code is checked, as ws: a close while connecting only aborts.
    if (this.state === MessageWebSocket.CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established')
      return
    }
    const payload = call(() => native.checkedClosePayload(code, reason === undefined ? EMPTY : Buffer.from(reason)))
    if (this.state !== MessageWebSocket.OPEN || !this.impl) return
    this.state = MessageWebSocket.CLOSING
    // A Blob being read, and what waits behind it, go out before the CLOSE (as ws).
    if (this.blobWait) {
      this.afterBlob(() => this.sendClose(payload), 0)
      return
    }
    this.sendClose(payload)
  }

  private sendClose(payload: Uint8Array): void {
    if (!this.impl || socketState(this.impl).closed) return
    // Messages sent before close() go out before the CLOSE.
    pump.outbox.flush()
    try {
      const before = this.impl.bufferedAmount
      const after = call(() => this.impl!.sendFrame(FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE, payload))
      this.closeFrameBytes = Math.max(0, after - before)
    } catch (error) {
      this.fail(error)
    }
  }

  /**
   * Closes TCP without the close handshake: CLOSING at once, `close` (1006) after the I/O phase,
   * as ws (whose `close` follows the socket's).
   */
  terminate(): void {
    if (this.state === MessageWebSocket.CLOSED || this.terminating) return
    if (this.state === MessageWebSocket.CONNECTING) {
      this.abortHandshake('WebSocket was closed before the connection was established')
      return
    }
    this.terminating = true
    this.state = MessageWebSocket.CLOSING
    setImmediate(() => this.finish())
  }

  /** Stops reading: no `message` events, and the peer is held back by TCP flow control. */
  pause(): void {
    if (this.paused || !this.impl || this.state === MessageWebSocket.CLOSED) return
    this.paused = true
    this.impl.setPaused(true)
  }

  /**
   * Undoes `pause()`: reading goes on and queued messages are emitted. Nothing happens while
   * connecting or once closed (as ws: `isPaused` keeps its value).
   */
  resume(): void {
    if (this.state === MessageWebSocket.CONNECTING || this.state === MessageWebSocket.CLOSED) return
    if (!this.paused) return
    this.paused = false
    const impl = this.impl
    if (!impl || this.state === MessageWebSocket.CLOSED) return
    impl.setPaused(false)
    // Not synchronously: resume() may be called from inside a `message` handler.
    setImmediate(() => {
      while (this.held.length > 0 && !this.paused && this.impl === impl) {
        const [flags, payload] = this.held.shift()!
        if (flags === HELD_END) this.deliverEnd(payload === FAILED)
        else if (this.state !== MessageWebSocket.CLOSED) this.deliverFrame(flags, payload)
      }
      if (!this.paused) pump.native.poke(impl.id)
    })
  }

  /** Yields every message until the socket closes; throws what fails the connection. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Message, void, undefined> {
    const queue: Message[] = []
    let failure: unknown = null
    let done = this.state === MessageWebSocket.CLOSED
    let wake: (() => void) | null = null
    const notify = (): void => {
      wake?.()
      wake = null
    }
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      queue.push({ data, isBinary })
      if (queue.length >= ITERATOR_HIGH_WATER) this.pause()
      notify()
    }
    const onError = (error: unknown): void => {
      failure = error
    }
    const onClose = (): void => {
      done = true
      notify()
    }
    this.on(RAW_MESSAGE, onMessage)
    this.on('error', onError)
    this.on('close', onClose)
    try {
      for (;;) {
        const message = queue.shift()
        if (message) {
          if (queue.length < ITERATOR_HIGH_WATER / 2) this.resume()
          yield message
          continue
        }
        if (failure) throw failure
        if (done) return
        await new Promise<void>((resolve) => (wake = resolve))
      }
    } finally {
      this.off(RAW_MESSAGE, onMessage)
      this.off('error', onError)
      this.off('close', onClose)
      this.resume()
    }
  }

  private async connect(target: URL, offered: string[], options: MessageClientOptions, redirects = 0): Promise<void> {
    const headers = { ...options.headers }
    const request = new HTTPRequest(HTTPRequest.HTTP_GET, `${target.pathname}${target.search}`, HTTPMessage.HTTP_1_1)
    // Status 0 until the server's answer is filled in (also when the handshake fails).
    const response = new HTTPResponse(0)
    let socket: WebSocket | null = null
    let failure: unknown = null
    try {
      const session = clientSession(target, options)
      if (options.handshakeTimeout !== undefined) session.setTimeout(options.handshakeTimeout)
      for (const [name, value] of Object.entries(headers)) request.set(name, value)
      if (offered.length > 0) request.set('Sec-WebSocket-Protocol', offered.join(', '))
      if (options.origin !== undefined) request.set('Origin', options.origin)
      // The core checked the answer (RFC 6455 §4.1): a subprotocol or extension the client
      // did not offer failed the handshake.
      const config = messageConfig({ ...options, perMessageDeflate: options.perMessageDeflate ?? true })
      socket = await WebSocket._connect(session, request, response, undefined, config)
    } catch (error) {
      failure = error
    }
    // Outside the promise chain: a listener's exception is uncaught, as with ws.
    outsidePromise(() => {
      if (this.aborted) {
        // close() or terminate() came first; its error and close are emitted already.
        if (socket) WebSocket._native(socket).close()
        return
      }
      const status = response.getStatus()
      if (socket) {
        this.emit('upgrade', handshakeResponse(response))
        // An `upgrade` listener may have called close() or terminate().
        if (this.aborted) {
          WebSocket._native(socket).close()
          return
        }
        // ws (and the WHATWG spec) fail a handshake whose answer selects none of the offered subprotocols.
        if (offered.length > 0 && response.get('Sec-WebSocket-Protocol', '') === '') {
          WebSocket._native(socket).close()
          // An empty field is one ws calls invalid.
          const field = hasField(response, 'Sec-WebSocket-Protocol')
          this.failHandshake(new WebSocketException(field ? 'Server sent an invalid subprotocol' : 'Server sent no subprotocol', ErrorCodes.WS_ERR_HANDSHAKE_ACCEPT))
          return
        }
        this.selectedProtocol = response.get('Sec-WebSocket-Protocol', '')
        this.attach(WebSocket._native(socket), options, false)
        this.emit('open')
        return
      }
      // A 101 without an Upgrade field is no upgrade for Node's HTTP client: ws takes it as an
      // unexpected response (below).
      const upgraded = status === HTTPStatus.HTTP_SWITCHING_PROTOCOLS && response.has('Upgrade')
      if (upgraded) {
        // A 101 the core refused: ws emits `upgrade` before its checks fail the handshake.
        this.emit('upgrade', handshakeResponse(response))
        if (this.aborted) return
      }
      if (status === 0 || upgraded) {
        // No answer, or a 101 the core refused: the core's error, with ws's message.
        this.failHandshake(withWsMessage(failure, offered, response, options.perMessageDeflate !== false))
        return
      }
      const location = response.get('Location', '')
      if (options.followRedirects && location !== '' && status >= 300 && status < 400) {
        this.redirect(target, location, offered, { ...options, headers }, redirects)
        return
      }
      const res = handshakeResponse(response)
      const req = handshakeRequest(target, request, res)
      // ws: with a listener the application decides (the socket stays CONNECTING until it
      // calls close() or terminate()); without one the handshake fails.
      if (!this.emit('unexpected-response', req, res)) {
        this.failHandshake(new Error(`Unexpected server response: ${status}`))
      }
    })
  }

  /** ws's followRedirects: the handshake again, to `location`. */
  private redirect(from: URL, location: string, offered: string[], options: MessageClientOptions, redirects: number): void {
    if (redirects >= (options.maxRedirects ?? 10)) {
      this.failHandshake(new Error('Maximum redirects exceeded'))
      return
    }
    let target: URL
    try {
      target = clientURL(new URL(location, from))
    } catch (error) {
      this.failHandshake(error)
      return
    }
    // Credentials are not handed to another host (ws drops them too).
    if (target.host !== from.host && options.headers) {
      for (const name of Object.keys(options.headers)) {
        if (/^(authorization|cookie|host)$/i.test(name)) delete options.headers[name]
      }
    }
    this.address = target.href
    this.emit('redirect', target.href, handshakeRequest(target, new HTTPRequest(HTTPRequest.HTTP_GET, `${target.pathname}${target.search}`)))
    if (this.aborted) return
    void this.connect(target, offered, options, redirects + 1)
  }

  /** The handshake failed: `error`, then `close` with 1006, as ws's emitErrorAndClose. */
  private failHandshake(error: unknown): void {
    this.state = MessageWebSocket.CLOSING
    this.emitError(error)
    this.state = MessageWebSocket.CLOSED
    this.emit('close', 1006, EMPTY)
  }

  /** ws's abortHandshake: CLOSING now, `error` and `close` on the next tick. */
  private abortHandshake(message: string): void {
    if (this.aborted) return
    this.aborted = true
    this.state = MessageWebSocket.CLOSING
    process.nextTick(() => this.failHandshake(new Error(message)))
  }

  private attach(impl: NativeWebSocket, options: MessageSocketOptions, configure: boolean): void {
    this.impl = impl
    this._id = impl.id
    this.options = options
    if (configure) call(() => impl.setConfig(messageConfig(options)))
    impl.setWriteLimit(options.highWaterMark ?? DEFAULTS.highWaterMark)
    this.state = MessageWebSocket.OPEN
    pump.listen(impl, this, true)
    pump.hold()
  }

  private sendFrame(opcode: number, payload: Uint8Array, callback?: (error?: Error) => void, fin = true): boolean {
    if (!this.impl) return this.notOpen(EMPTY, callback)
    this.pending += payload.length
    // May flush at once (a large payload), which calls afterFlush.
    pump.outbox.send(this._id, (fin ? FrameFlags.FRAME_FLAG_FIN : 0) | opcode, payload, this)
    if (callback) process.nextTick(callback)
    if (this.buffered + this.pending <= (this.options.highWaterMark ?? DEFAULTS.highWaterMark)) return true
    this.needDrain = true
    // Already handed over: arm the wake-up now (otherwise afterFlush does). `drain` is never
    // emitted inside send(): the caller has not had the chance to listen yet.
    if (this.pending === 0 && this.impl.armWrite()) setImmediate(() => this.onWake())
    return false
  }

  /** @internal The outbox handed this socket's sends over; `buffered` bytes wait now. */
  afterFlush(buffered: number, failed: boolean): void {
    this.pending = 0
    this.buffered = buffered
    if (this.state === MessageWebSocket.CLOSED || !this.impl) return
    if (failed) {
      // Why sending stopped, from the core (a broken connection, a dropped peer).
      let error: unknown = new ConnectionResetException('The connection failed while sending')
      try {
        this.impl.checkSendable()
      } catch (nativeError) {
        error = translate(nativeError)
      }
      this.fail(error)
      return
    }
    // Asynchronously: a flush can happen inside send().
    if (this.needDrain) setImmediate(() => this.onWake())
  }

  /** @internal The runtime reported this socket: emit `drain` once the write buffer is under its mark. */
  onWake(): void {
    if (!this.needDrain || !this.impl || this.state === MessageWebSocket.CLOSED || this.pending > 0) return
    if (this.impl.armWrite()) {
      this.needDrain = false
      this.buffered = this.impl.bufferedAmount
      this.emit('drain')
    }
  }

  /** @internal One message or control frame, from the pump. */
  onFrame(flags: number, payload: Buffer): void {
    // After terminate(), nothing more is delivered.
    if (this.state === MessageWebSocket.CLOSED || this.terminating) return
    // Behind the frames held by a pause that have not been replayed yet, in order.
    if (this.paused || this.held.length > 0) {
      this.held.push([flags, payload])
      return
    }
    this.deliverFrame(flags, payload)
  }

  private deliverFrame(flags: number, payload: Buffer): void {
    switch (flags & FrameOpcodes.FRAME_OP_BITMASK) {
      case FrameOpcodes.FRAME_OP_TEXT:
        this.emit(RAW_MESSAGE, payload, false)
        this.emit('message', payload, false)
        break
      case FrameOpcodes.FRAME_OP_PING:
        this.emit('ping', payload)
        break
      case FrameOpcodes.FRAME_OP_PONG:
        this.emit('pong', payload)
        break
      case FrameOpcodes.FRAME_OP_CLOSE:
        // The runtime has answered it; `close` is emitted when TCP is closed.
        ;({ code: this.closeCode, reason: this.closeReason } = native.parseClose(payload))
        this.closeReceived = true
        this.state = MessageWebSocket.CLOSING
        break
      default:
        // Binary, and with strict checks off whatever else the peer sent.
        this.emit(RAW_MESSAGE, payload, true)
        this.emit('message', this.kind === 'nodebuffer' ? payload : binaryMessage(payload, this.kind), true)
    }
  }

  /** @internal Input ended, in order or with an error (which `receive()` throws). */
  onEnd(failed: boolean): void {
    if (this.held.length > 0) {
      // Deliver what was held first.
      this.held.push([HELD_END, failed ? FAILED : EMPTY])
      return
    }
    this.deliverEnd(failed)
  }

  private deliverEnd(failed: boolean): void {
    if (!failed || !this.impl) {
      this.finish()
      return
    }
    try {
      this.impl.receive()
      this.finish()
    } catch (nativeError) {
      const error = translate(nativeError)
      // The keepalive's idle timeout drops the peer with 1006, as uWebSockets.js does: no error.
      if (error instanceof TimeoutException) this.finish()
      else this.fail(error)
    }
  }

  private fail(error: unknown): void {
    this.emitError(error)
    this.finish()
  }

  /** `error` has no default listener here: an unhandled one must not crash the process. */
  private emitError(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }

  private finish(): void {
    if (this.state === MessageWebSocket.CLOSED) return
    this.state = MessageWebSocket.CLOSED
    const impl = this.impl
    if (impl) {
      // Sends made before close() or terminate() still go out (while the pump still knows it).
      pump.outbox.flush()
      this.topics?.native.unsubscribeAll(impl.id)
      pump.unlisten(impl.id)
      pump.release()
      impl.close()
      socketState(impl).closed = true
    }
    this.emit('close', this.closeCode, this.closeReason)
  }
}

/**
 * The events' listener types (ws's typings have the same overloads), merged into the class:
 * TypeScript code written for ws gets typed `data`, `code`… without annotations.
 */
/** What a `message` listener is typed to get, as ws's `RawData`. */
export type RawData = Buffer | ArrayBuffer | Buffer[]
/** A listener of a MessageWebSocket event, called with the socket as `this`. */
export type Listener<A extends unknown[]> = (this: MessageWebSocket, ...args: A) => void
/** The events of a MessageWebSocket and their listeners' arguments (ws's). */
export interface MessageWebSocketEvents {
  /** The handshake completed. */
  open: []
  // ws's RawData: a Blob (binaryType 'blob') is not in ws's typings either.
  /** A message: its data and whether it is binary. */
  message: [data: RawData, isBinary: boolean]
  /** The connection closed: the close code and reason. */
  close: [code: number, reason: Buffer]
  /** The connection failed. */
  error: [error: Error]
  /** A PING arrived (already answered). */
  ping: [data: Buffer]
  /** A PONG arrived. */
  pong: [data: Buffer]
  /** The write buffer went back under `highWaterMark`. */
  drain: []
  /** The server's 101, before `open` (client). */
  upgrade: [response: HandshakeResponse]
  /** The server answered something other than 101 (client); with a listener there is no `error`. */
  'unexpected-response': [request: HandshakeRequest, response: HandshakeResponse]
  /** A redirect is followed (client, `followRedirects`). */
  redirect: [url: string, request: HandshakeRequest]
}
/** EventEmitter's listener methods, typed by MessageWebSocketEvents. */
export type EventMethod<R> = {
  <K extends keyof MessageWebSocketEvents>(event: K, listener: Listener<MessageWebSocketEvents[K]>): R
  (event: string | symbol, listener: (...args: any[]) => void): R
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface MessageWebSocket {
  /** EventEmitter's `on`, typed by the event name. */
  on: EventMethod<this>
  /** EventEmitter's `once`, typed by the event name. */
  once: EventMethod<this>
  /** EventEmitter's `off`, typed by the event name. */
  off: EventMethod<this>
  /** EventEmitter's `addListener`, typed by the event name. */
  addListener: EventMethod<this>
  /** EventEmitter's `removeListener`, typed by the event name. */
  removeListener: EventMethod<this>
  /** EventEmitter's `prependListener`, typed by the event name. */
  prependListener: EventMethod<this>
  /** EventEmitter's `prependOnceListener`, typed by the event name. */
  prependOnceListener: EventMethod<this>
}

/** Marks the internal constructor call that attaches an existing connection. */
const ATTACH: unique symbol = Symbol('attach')

for (const [index, name] of READY_STATES.entries()) {
  Object.defineProperty(MessageWebSocket, name, { enumerable: true, value: index })
  Object.defineProperty(MessageWebSocket.prototype, name, { enumerable: true, value: index })
}
// ws's getters are enumerable on the prototype (class accessors are not by default).
for (const name of ['binaryType', 'bufferedAmount', 'extensions', 'isPaused', 'protocol', 'readyState', 'url']) {
  Object.defineProperty(MessageWebSocket.prototype, name, { enumerable: true })
}
defineEventTarget(MessageWebSocket.prototype)

/** ws's subprotocol syntax (an RFC 7230 token). */
const SUBPROTOCOL = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/

/** `url` checked as ws checks it (SyntaxError, ws's messages); http: and https: become ws: and wss:. */
function clientURL(url: string | URL): URL {
  let target: URL
  try {
    target = new URL(String(url))
  } catch {
    throw new SyntaxError(`Invalid URL: ${String(url)}`)
  }
  if (target.protocol === 'http:') target.protocol = 'ws:'
  else if (target.protocol === 'https:') target.protocol = 'wss:'
  if (!['ws:', 'wss:', 'ws+unix:'].includes(target.protocol)) {
    throw new SyntaxError('The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"')
  }
  if (target.protocol === 'ws+unix:' && !target.pathname) throw new SyntaxError("The URL's pathname is empty")
  if (target.hash) throw new SyntaxError('The URL contains a fragment identifier')
  return target
}

/** The offered subprotocols, checked as ws does. */
function checkedProtocols(protocols: string | string[] | null | undefined): string[] {
  const offered = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols]
  const seen = new Set<string>()
  for (const protocol of offered) {
    if (typeof protocol !== 'string' || !SUBPROTOCOL.test(protocol) || seen.has(protocol)) {
      throw new SyntaxError('An invalid or duplicated subprotocol was specified')
    }
    seen.add(protocol)
  }
  return offered as string[]
}

/** Whether the answer has field `name`, even empty. */
function hasField(response: HTTPResponse, name: string): boolean {
  const flat = response.toFlatList()
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name.toLowerCase()) return true
  return false
}

/**
 * A handshake failure from the core, its class and code kept, with the message ws gives for the
 * same failure (ws's client checks: the Upgrade field, the accept key, the subprotocol, the
 * extensions, the handshake timeout). Other failures keep the core's message.
 */
function withWsMessage(error: unknown, offered: string[], response: HTTPResponse, offeredDeflate: boolean): unknown {
  if (!(error instanceof Exception)) return error
  let message: string | undefined
  if (error instanceof TimeoutException) message = 'Opening handshake has timed out'
  else if (/\bUpgrade: websocket\b/.test(error.message)) message = 'Invalid Upgrade header'
  else if (/\bSec-WebSocket-Accept\b/.test(error.message)) message = 'Invalid Sec-WebSocket-Accept header'
  else if (/^(Invalid Sec-WebSocket-Extensions header|Invalid permessage-deflate parameter|Unsupported permessage-deflate response)/.test(error.message)) {
    message = 'Invalid Sec-WebSocket-Extensions header'
  } else if (/extension that was not offered|which was not offered/.test(error.message)) {
    message = offeredDeflate ? 'Server indicated an extension that was not requested' : 'Server sent a Sec-WebSocket-Extensions header but no extension was requested'
  }
  else if (/\bsubprotocol\b/.test(error.message) && response.has('Sec-WebSocket-Protocol')) {
    message = offered.length === 0 ? 'Server sent a subprotocol but none was requested' : 'Server sent an invalid subprotocol'
  }
  if (message !== undefined) error.message = message
  return error
}

/**
 * The server's answer as a Node `http.IncomingMessage` (as ws gives it) with its status and
 * fields; its body is not kept by the core, so it ends at once.
 */
function handshakeResponse(response: HTTPResponse): HandshakeResponse {
  const res = new IncomingMessage(new NodeSocket()) as unknown as HandshakeResponse
  res.push(null)
  const flat = response.toFlatList()
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i].toLowerCase()
    const value = flat[i + 1]
    const known = headers[name]
    if (name === 'set-cookie') headers[name] = [...((known as string[] | undefined) ?? []), value]
    else headers[name] = known === undefined ? value : `${known as string}, ${value}`
  }
  const httpVersion = response.getVersion().replace(/^HTTP\//, '')
  const [major, minor] = httpVersion.split('.').map(Number)
  Object.assign(res, {
    statusCode: response.getStatus(),
    statusMessage: response.getReason(),
    httpVersion,
    httpVersionMajor: major,
    httpVersionMinor: minor,
    headers,
    rawHeaders: flat,
    complete: true,
  })
  return res
}

/**
 * What the application sent, shaped like the parts of ws's `http.ClientRequest` it reads. The
 * connection is closed already: aborting only lets `res` end (it is read to its end, as Node
 * dumps an aborted response).
 */
function handshakeRequest(target: URL, request: HTTPRequest, res?: Readable): HandshakeRequest {
  const abort = (): void => void res?.resume()
  return {
    method: request.getMethod(),
    path: request.getURI(),
    host: target.hostname,
    getHeader: (name) => (request.has(name) ? request.get(name) : undefined),
    abort,
    destroy: abort,
  }
}

/** The session for `target` (ws: or wss:), with TLS and proxy settings from `options`. */
function clientSession(target: URL, options: MessageClientOptions): HTTPClientSession {
  const host = target.hostname.replace(/^\[|\]$/g, '')
  let session: HTTPClientSession
  if (target.protocol === 'ws:') {
    session = new HTTPClientSession(host, target.port === '' ? 80 : Number(target.port))
  } else if (target.protocol === 'wss:') {
    const context =
      options.context ??
      (options.ca === undefined && options.rejectUnauthorized !== false
        ? Context.defaultClientContext()
        : new Context(Context.TLS_CLIENT_USE, {
            ca: options.ca,
            verificationMode: options.rejectUnauthorized === false ? Context.VERIFY_NONE : Context.VERIFY_RELAXED,
            loadDefaultCAs: true,
          }))
    session = new HTTPSClientSession(host, target.port === '' ? 443 : Number(target.port), context)
  } else {
    throw new InvalidArgumentException(`Unsupported URL scheme ${target.protocol} (expected ws: or wss:)`, target.href)
  }
  if (options.proxy) {
    session.setProxy(options.proxy.host, options.proxy.port)
    if (options.proxy.username !== undefined) session.setProxyCredentials(options.proxy.username, options.proxy.password ?? '')
  }
  return session
}

/** @internal The native settings of a message-mode connection with `options`. */
export function messageConfig(options: MessageSocketOptions): NativeWebSocketConfig {
  const { strict, maxPayload, closeTimeout, maxFragments } = options
  const maxPayloadSize = options.maxPayloadSize ?? maxPayload
  const maxMessageSize = options.maxMessageSize ?? maxPayload
  return {
    ...toNativeConfig({ strict, maxPayloadSize, maxMessageSize, maxFragments, closeTimeout }),
    messages: true,
    pingIntervalMs: options.pingInterval ?? DEFAULTS.pingIntervalMs,
    idleTimeoutMs: options.idleTimeout ?? DEFAULTS.idleTimeoutMs,
    maxBackpressure: options.maxBackpressure,
    autoPong: options.autoPong,
    perMessageDeflate: deflateConfig(options.perMessageDeflate),
  }
}

function toBytes(data: Data): Uint8Array {
  if (data === undefined || data === null) return EMPTY
  if (typeof data === 'number') data = String(data)
  if (typeof data === 'string') return Buffer.from(data)
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  // binaryType 'fragments' gives arrays of Buffers: echoing one sends the joined bytes.
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) return Buffer.concat(data)
  throw new InvalidArgumentException('data must be a string, Buffer, ArrayBuffer or typed array')
}

function controlPayload(data: Data): Uint8Array {
  const payload = toBytes(data)
  checkControlSize(payload.length)
  return payload
}

/** RFC 6455 §5.5 (the limit from the core), with ws's error and message. */
function checkControlSize(size: number): void {
  if (size > native.MAX_CONTROL_PAYLOAD) throw new RangeError(`The data size must not be greater than ${native.MAX_CONTROL_PAYLOAD} bytes`)
}

/** Whether `data` is a Blob (or a File), as ws tells them. */
function isBlob(data: unknown): data is Blob {
  if (typeof Blob !== 'undefined' && data instanceof Blob) return true
  const tag = (data as { [Symbol.toStringTag]?: unknown } | null | undefined)?.[Symbol.toStringTag]
  return (tag === 'Blob' || tag === 'File') && typeof (data as Blob).arrayBuffer === 'function'
}

/** Runs `emit` after the current promise job, so that a listener's throw is an uncaught exception. */
function outsidePromise(emit: () => void): void {
  process.nextTick(emit)
}

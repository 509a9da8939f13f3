import { EventEmitter } from 'node:events'
import { STATUS_CODES, type IncomingMessage, type Server as NodeHTTPServer } from 'node:http'
import type { Duplex } from 'node:stream'
import { TLSSocket } from 'node:tls'

import type { NativeWebSocketConfig } from './binding'
import type { Context } from './Context'
import { HTTPStatus } from './HTTPResponse'
import { HTTPServer } from './HTTPServer'
import { HTTPServerParams } from './HTTPServerParams'
import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'
import { MessageWebSocket, messageConfig, type MessageSocketOptions } from './MessageWebSocket'
import { abortHandshake, bridge, canTakeOver, checkUpgrade, extraFields, switchingLines, takeOver } from './nodeUpgrade'
import { SecureServerSocket } from './SecureServerSocket'
import { ServerSocket } from './ServerSocket'
import { SocketAddress } from './SocketAddress'
import { Topics, type PublishData, type PublishOptions, type RedisOptions, type RedisState, type RedisStats } from './topics'
import { WebSocket } from './WebSocket'

/**
 * What `verifyClient` sees of an upgrade request (ws's `info`): `req` is the Poco request on the
 * server's own port, Node's `http.IncomingMessage` when attached to a Node server.
 */
export interface ClientInfo {
  /** The Origin field ('' when absent). */
  origin: string
  /** Whether the connection is TLS. */
  secure: boolean
  /** The upgrade request. */
  req: HTTPServerRequest | IncomingMessage
}

/** ws's callback form of `verifyClient` answers through this: `done(false, status, message, headers)` refuses. */
export type VerifyClientDone = (verified: boolean, status?: number, message?: string, headers?: Record<string, string | number>) => void

/** The request a `'connection'` listener gets: the Poco request, or Node's when attached. */
export type UpgradeRequest = HTTPServerRequest | IncomingMessage

/** Where a {@link WebSocketServer} listens. */
export interface ServerAddress {
  /** The address it was given ('0.0.0.0' by default). */
  address: string
  /** 'IPv4' or 'IPv6'. */
  family: string
  /** The port (the chosen one when it was given 0). */
  port: number
}

/** Settings of a {@link WebSocketServer}; every socket it hands out gets the socket settings. */
export interface WebSocketServerOptions extends MessageSocketOptions {
  /** Port to listen on; 0 (the default) picks a free one, see `address()`. */
  port?: number
  /** Address to listen on. Default '0.0.0.0'. */
  host?: string
  /** The most connections the OS queues before they are accepted (ws's `backlog`). Default 64, as Poco's `ServerSocket`. */
  backlog?: number
  /** Only upgrades to this path are accepted (others get 400). Default: any path. */
  path?: string
  /**
   * Chooses the subprotocol from those the client offered; false selects none. Default: the
   * first one offered.
   */
  handleProtocols?: (protocols: Set<string>, request: UpgradeRequest) => string | false
  /**
   * Accepts (true) or refuses (false: 401) an upgrade, for origin or credential checks; with two
   * parameters it is ws's callback form.
   */
  verifyClient?: (info: ClientInfo, done: VerifyClientDone) => boolean | Promise<boolean> | void
  /**
   * Attach to this Node `http.Server` (Express's `app.listen()`, Fastify's `fastify.server`):
   * its `'upgrade'` requests for this server's `path` become connections. See README, "Attach
   * to a Node server".
   */
  server?: NodeHTTPServer
  /** No server of its own: the application calls {@link WebSocketServer.handleUpgrade}. */
  noServer?: boolean
  /** Keep the open sockets in `clients` (false: `clients` is undefined, as ws). Default true. */
  clientTracking?: boolean
  /**
   * ws's `WebSocket` option: the class accepted sockets are made of, a subclass of
   * {@link MessageWebSocket} (its constructor is called with the arguments it passes on to
   * `super`, as ws calls its own). Default MessageWebSocket.
   */
  WebSocket?: typeof MessageWebSocket
  /**
   * Listen with SO_REUSEPORT, so that several processes (or worker threads) serve one port and
   * the kernel spreads the connections (Linux, the BSDs, macOS). Where the OS has none the
   * server fails to listen (an `error` event). Topics stay per process unless `redis` joins
   * them. Default false.
   */
  reusePort?: boolean
  /**
   * Joins this server's topics with those of every server using the same Redis (and prefix):
   * a URL (`'redis://127.0.0.1:6379'`) or `{ url, prefix }`. Publishes reach the subscribers on
   * every node; the connection's state is reported by `'redis'` events, never `'error'`. See
   * README, "Several processes and machines: Redis". Default: none (topics stay local).
   */
  redis?: string | RedisOptions
  /** HTTP limits and timeouts of the underlying server. */
  params?: HTTPServerParams
  /** Serve wss:// with this server `Context` (certificate chain and key). */
  context?: Context
}

/**
 * A message-level WebSocket server with ws's names (`connection (socket, request)`,
 * `listening`, `error`, `close`, `clients`, `address()`, `close()`), on top of Poco's
 * HTTPServer: each accepted upgrade becomes a {@link MessageWebSocket}. A request that is not
 * an upgrade is answered 426.
 */
export class WebSocketServer extends EventEmitter {
  /**
   * The open sockets; undefined when `clientTracking` is false (as ws: its typings declare it
   * a Set too).
   */
  readonly clients!: Set<MessageWebSocket>
  private readonly options: WebSocketServerOptions
  private readonly server: HTTPServer | null = null
  private readonly host: string
  private listening = false
  /** Attached mode: detaches the listeners put on the user's server. */
  private detach: (() => void) | null = null
  private state: 'running' | 'closing' | 'closed' = 'running'
  /** Node sockets handed to `handleUpgrade`, so that a second call on one throws (as ws). */
  private readonly upgrading = new WeakSet<Duplex>()
  private readonly topics = new Topics()
  /** The native settings of every connection (checked once, here). */
  private readonly config: NativeWebSocketConfig

  constructor(options: WebSocketServerOptions = {}, callback?: () => void) {
    super()
    this.options = options
    this.config = messageConfig(options)
    if (options.clientTracking ?? true) this.clients = new Set()
    this.host = options.host ?? '0.0.0.0'
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true].filter(Boolean).length
    if (modes > 1) throw new TypeError('One and only one of the "port", "server", or "noServer" options must be specified')
    if (options.redis) this.topics.useRedis(options.redis, (state, cause) => this.emit('redis', state, cause))
    if (options.server || options.noServer) {
      if (options.server) this.attachTo(options.server, callback)
      return
    }
    const address = new SocketAddress(this.host, options.port ?? 0)
    const { backlog, context } = options
    // Bound when the server starts, so that a busy port is an 'error' event (as in ws).
    const openSocket = (): ServerSocket => {
      if (options.reusePort) {
        // SO_REUSEPORT: several processes (workers) listen on one port; the kernel spreads connections.
        const socket = context ? new SecureServerSocket(context) : new ServerSocket()
        socket.bind(address, true, true)
        socket.listen(backlog)
        return socket
      }
      if (!context) return new ServerSocket(address, backlog)
      return backlog === undefined ? new SecureServerSocket(address, context) : new SecureServerSocket(address, backlog, context)
    }
    this.server = new HTTPServer(
      { createRequestHandler: () => ({ handleRequest: (request, response) => this.answerUpgrade(request, response) }) },
      openSocket,
      options.params ?? new HTTPServerParams(),
    )
    this.server.onError = (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error)
    }
    if (callback) this.once('listening', callback)
    this.server.start().then(
      () => {
        this.listening = true
        this.emit('listening')
      },
      (error: unknown) => {
        if (this.listenerCount('error') > 0) this.emit('error', error)
        else console.error('WebSocketServer: cannot listen:', error)
      },
    )
  }

  /**
   * Where the server listens (ws's `address()`; the Node server's when attached); null while it
   * is not listening (before `listening`, after `close`), as ws. The declared type leaves the
   * null out, as ws's typings do, so that code written for ws (`wss.address().port`) compiles.
   */
  address(): ServerAddress {
    if (this.options.noServer) throw new Error('The server is operating in "noServer" mode')
    // Node's AddressInfo has the same fields (null before it listens, a string on a pipe).
    if (this.options.server) return this.options.server.address() as ServerAddress
    if (!this.listening || !this.server) return null as unknown as ServerAddress
    return { address: this.host, family: this.host.includes(':') ? 'IPv6' : 'IPv4', port: this.server.port() }
  }

  /**
   * Stops accepting connections; open sockets stay open (as ws), and a Node server it is attached
   * to is not closed. `close` follows (attached: once the tracked clients are gone); called again
   * after that, the callback gets ws's `Error('The server is not running')`.
   */
  close(callback?: (error?: Error) => void): void {
    if (this.state === 'closed') {
      if (callback) process.nextTick(callback, new Error('The server is not running'))
      return
    }
    if (callback) this.once('close', () => callback())
    if (this.state === 'closing') return
    this.state = 'closing'
    this.topics.close()
    if (!this.server) {
      this.detach?.()
      this.detach = null
      if (!this.clients || this.clients.size === 0) process.nextTick(() => this.closed())
      return
    }
    void this.server.stop().then(() => {
      this.listening = false
      this.closed()
    })
  }

  /**
   * Sends to every subscriber of `topic` (uWS's `app.publish`, Bun's `server.publish`): one
   * native call; the frame is encoded once, and small ones to one topic go out together at the
   * end of the callback batch, one write per subscriber. True when this server has a subscriber
   * for it (as uWS answers; a subscriber too far behind then misses it, see `droppedPublishes`).
   * With `redis`, every other node's subscribers get it too (a payload over
   * `MAX_REDIS_PAYLOAD` bytes then throws `InvalidArgumentException`, as a bad topic does).
   */
  publish(topic: string, data: PublishData, options?: PublishOptions): boolean {
    return this.topics.publish(topic, data, options)
  }

  /** How many sockets are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.topics.native.subscriberCount(String(topic))
  }

  /** Publishes missed by subscribers too far behind to take them, since the server started. */
  get droppedPublishes(): number {
    return this.topics.native.dropped
  }

  /** The Redis adapter's id and counters (what was sent, lost, received, ignored); null without `redis`. */
  get redisStats(): RedisStats | null {
    return this.topics.redisStats()
  }

  /** Closing is complete: `close` listeners (and a waiting `close(callback)`) run. */
  private closed(): void {
    this.state = 'closed'
    this.emit('close')
  }

  /** ws's `shouldHandle`: whether an upgrade request is for this server (its `path`). */
  shouldHandle(req: IncomingMessage): boolean {
    const { path } = this.options
    return path === undefined || (req.url ?? '').split('?')[0] === path
  }

  /**
   * ws's `handleUpgrade`, for `noServer` (and used by `server`): validates the upgrade Node's
   * server read, asks `verifyClient` and `handleProtocols`, emits `'headers'`, answers 101 and
   * calls back with the connection. A refused upgrade is answered on `socket` as ws answers it.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: MessageWebSocket, req: IncomingMessage) => void): void {
    if (this.upgrading.has(socket)) {
      throw new Error('server.handleUpgrade() was called more than once with the same socket, possibly due to a misconfiguration')
    }
    this.upgrading.add(socket)
    socket.on('error', destroyOnError)
    // ws's first checks, on the fields Node parsed (`req.headers`), then the core's RFC 6455 ones.
    if (req.method !== 'GET') return this.refuse(req, socket, 405, 'Invalid HTTP method')
    const upgrade = req.headers.upgrade
    if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') return this.refuse(req, socket, 400, 'Invalid Upgrade header')
    const check = checkUpgrade(req, this.config)
    if (check.rejection) {
      const { status, message, supportedVersion } = check.rejection
      return this.refuse(req, socket, status, message, supportedVersion ? { 'Sec-WebSocket-Version': supportedVersion } : undefined)
    }
    if (!this.shouldHandle(req)) return abortHandshake(socket, 400)
    const { verifyClient } = this.options
    if (!verifyClient) return this.completeUpgrade(req, socket, head, check, callback)
    const origin = String(req.headers.origin ?? '')
    const info: ClientInfo = { origin, secure: socket instanceof TLSSocket, req }
    const verified = (ok: boolean, status = 401, message?: string, headers?: Record<string, string | number>): void => {
      if (!ok) return abortHandshake(socket, status, message, headers)
      this.completeUpgrade(req, socket, head, check, callback)
    }
    if (verifyClient.length === 2) return void verifyClient(info, verified)
    const answer = verifyClient(info, verified)
    if (typeof answer !== 'object') return verified(answer === true)
    answer.then(
      (ok) => process.nextTick(verified, ok),
      () => process.nextTick(verified, false, 500),
    )
  }

  /**
   * An upgrade request that breaks the protocol: with a `wsClientError` listener, ws's event
   * `(error, socket, request)` lets the application answer on the socket; otherwise ws's answer.
   */
  private refuse(req: IncomingMessage, socket: Duplex, status: number, message: string, headers?: Record<string, string>): void {
    if (this.listenerCount('wsClientError') > 0) {
      const error = new Error(message)
      Error.captureStackTrace(error, this.refuse)
      this.emit('wsClientError', error, socket, req)
      return
    }
    abortHandshake(socket, status, message, headers)
  }

  private attachTo(server: NodeHTTPServer, callback?: () => void): void {
    if (callback) this.once('listening', callback)
    const onListening = (): boolean => this.emit('listening')
    const onError = (error: Error): void => {
      if (this.listenerCount('error') > 0) this.emit('error', error)
      // Nobody else listens: fail as the Node server would without us (a busy port must not pass silently).
      else if (server.listenerCount('error') === 1) throw error
    }
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      // Several servers on one Node server: each takes only its own path (ws's README).
      if (!this.shouldHandle(req)) return
      this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req))
    }
    server.on('listening', onListening)
    server.on('error', onError)
    server.on('upgrade', onUpgrade)
    this.detach = () => {
      server.removeListener('listening', onListening)
      server.removeListener('error', onError)
      server.removeListener('upgrade', onUpgrade)
    }
  }

  private completeUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    check: { protocols: string[]; extensions: string },
    callback: (ws: MessageWebSocket, req: IncomingMessage) => void,
  ): void {
    if (!socket.readable || !socket.writable) return void socket.destroy()
    if (this.state !== 'running') return abortHandshake(socket, 503)
    const protocol = this.selectProtocol(new Set(check.protocols), req)
    const lines = switchingLines(String(req.headers['sec-websocket-key'] ?? ''), protocol, check.extensions)
    this.emit('headers', lines, req)
    const connect = canTakeOver(socket) ? takeOver : bridge
    connect(req, socket, head, lines, this.config).then(
      (impl) => {
        const ws = MessageWebSocket._accepted(WebSocket._adopted(impl), this.options, protocol, this.options.WebSocket)
        ws._joinTopics(this.topics)
        if (this.clients) this.track(ws)
        // Outside the promise: a listener's exception is uncaught, as with ws.
        process.nextTick(callback, ws, req)
      },
      (error: unknown) => {
        if (this.listenerCount('error') > 0) this.emit('error', error)
      },
    )
  }

  /** RFC 6455 §4.2.2: the subprotocol, one the client offered ('' for none). */
  private selectProtocol(offered: Set<string>, request: UpgradeRequest): string {
    if (offered.size === 0) return ''
    const { handleProtocols } = this.options
    const chosen = handleProtocols ? handleProtocols(offered, request) : offered.values().next().value!
    return chosen !== false && offered.has(chosen) ? chosen : ''
  }

  private async answerUpgrade(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    const { path, verifyClient } = this.options
    if (!request.has('Upgrade')) {
      // ws's own HTTP server: 426 with the status text, as text/plain.
      return reject(response, 426, undefined, undefined, 'text/plain')
    }
    // RFC 6455 §4.2.1, checked by the core, answered as ws answers.
    const rejection = request._native.upgradeRejection(this.config)
    if (rejection) {
      if (rejection.supportedVersion) response.set('Sec-WebSocket-Version', rejection.supportedVersion)
      return reject(response, rejection.status, rejection.message)
    }
    if (path !== undefined && request.getURI().split('?')[0] !== path) {
      return reject(response, HTTPStatus.HTTP_BAD_REQUEST)
    }
    if (verifyClient) {
      const verdict = await verified(verifyClient, { origin: request.get('Origin', ''), secure: request.secure(), req: request })
      if (!verdict.ok) return reject(response, verdict.status ?? HTTPStatus.HTTP_UNAUTHORIZED, verdict.message, verdict.headers)
    }
    const protocol = this.selectProtocol(new Set(request._native.offeredProtocols), request)
    if (protocol) response.set('Sec-WebSocket-Protocol', protocol)
    if (this.listenerCount('headers') > 0) {
      const extensions = request._native.negotiatedExtensions(this.config)
      const lines = switchingLines(request.get('Sec-WebSocket-Key', ''), protocol, extensions)
      this.emit('headers', lines, request)
      const fields = extraFields(lines)
      for (let i = 0; i < fields.length; i += 2) response.set(fields[i], fields[i + 1])
    }
    const socket = await WebSocket._accept(request, response, this.config)
    const ws = MessageWebSocket._accepted(socket, this.options, protocol, this.options.WebSocket)
    ws._joinTopics(this.topics)
    if (this.clients) this.track(ws)
    // Outside the request handler's promise: a listener's exception is uncaught, as with ws.
    process.nextTick(emitConnection, this, ws, request)
  }

  /** Keeps `ws` in `clients` while it is open (a closure of its own: it must not keep the request alive). */
  private track(ws: MessageWebSocket): void {
    this.clients.add(ws)
    ws.once('close', () => {
      this.clients.delete(ws)
      if (this.state === 'closing' && !this.server && this.clients.size === 0) process.nextTick(() => this.closed())
    })
  }
}

/** The events' listener types (as ws's typings), merged into the class. */
/** The events of a WebSocketServer and their listeners' arguments (ws's). */
export interface WebSocketServerEvents {
  // Anything after the request is what the application passes to its own emit('connection').
  /** An upgrade was accepted: the socket and its request. */
  connection: [socket: MessageWebSocket, request: UpgradeRequest, ...rest: any[]]
  /** The server listens. */
  listening: []
  /** The server closed. */
  close: []
  /** The server failed (a busy port, the Node server's error). */
  error: [error: Error]
  /** The 101's lines, before they go out; fields pushed are sent. */
  headers: [headers: string[], request: UpgradeRequest]
  /**
   * With `redis`: the adapter connected and subscribed ('up'), or lost Redis ('down', with the
   * cause; it reconnects by itself). Reported once per change.
   */
  redis: [state: RedisState, cause?: Error]
  /**
   * An upgrade request Node's server read (`server`, `noServer`) broke the protocol: with a
   * listener, the application answers on `socket` (ws's event; none on the server's own port).
   */
  wsClientError: [error: Error, socket: Duplex, request: IncomingMessage]
}
/** EventEmitter's listener methods, typed by WebSocketServerEvents. */
export type ServerEventMethod<R> = {
  <K extends keyof WebSocketServerEvents>(event: K, listener: (this: WebSocketServer, ...args: WebSocketServerEvents[K]) => void): R
  (event: string | symbol, listener: (...args: any[]) => void): R
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface WebSocketServer {
  /** EventEmitter's `on`, typed by the event name. */
  on: ServerEventMethod<this>
  /** EventEmitter's `once`, typed by the event name. */
  once: ServerEventMethod<this>
  /** EventEmitter's `off`, typed by the event name. */
  off: ServerEventMethod<this>
  /** EventEmitter's `addListener`, typed by the event name. */
  addListener: ServerEventMethod<this>
  /** EventEmitter's `removeListener`, typed by the event name. */
  removeListener: ServerEventMethod<this>
  /** EventEmitter's `prependListener`, typed by the event name. */
  prependListener: ServerEventMethod<this>
  /** EventEmitter's `prependOnceListener`, typed by the event name. */
  prependOnceListener: ServerEventMethod<this>
}

function destroyOnError(this: Duplex): void {
  this.destroy()
}

/** What `verifyClient` answered: refused upgrades carry ws's `done(false, status, message, headers)`. */
interface Verdict {
  ok: boolean
  status?: number
  message?: string
  headers?: Record<string, string | number>
}

/** `verifyClient` in either form, as a promise. */
function verified(verifyClient: NonNullable<WebSocketServerOptions['verifyClient']>, info: ClientInfo): Promise<Verdict> {
  if (verifyClient.length === 2) {
    return new Promise((resolve) => void verifyClient(info, (ok, status, message, headers) => resolve({ ok, status, message, headers })))
  }
  return Promise.resolve(verifyClient(info, () => {})).then(
    (ok) => ({ ok: ok === true }),
    () => ({ ok: false, status: 500 }),
  )
}

function emitConnection(server: WebSocketServer, ws: MessageWebSocket, request: UpgradeRequest): void {
  server.emit('connection', ws, request)
}

/**
 * A refused upgrade on the server's own port, as ws answers it (its abortHandshake): the status,
 * the message (by default the status text) as the body, `Connection: close`, and the extra
 * fields of a refusing `verifyClient`.
 */
function reject(
  response: HTTPServerResponse,
  status: number,
  message?: string,
  headers?: Record<string, string | number>,
  contentType = 'text/html',
): void {
  response.setStatusAndReason(status)
  response.set('Connection', 'close')
  response.setContentType(contentType)
  for (const [name, value] of Object.entries(headers ?? {})) response.set(name, String(value))
  response.send(message ?? STATUS_CODES[status] ?? '')
}

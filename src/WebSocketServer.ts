import { EventEmitter } from 'node:events'

import type { Context } from './Context'
import { InvalidAccessException } from './exceptions'
import { HTTPStatus } from './HTTPResponse'
import { HTTPServer } from './HTTPServer'
import { HTTPServerParams } from './HTTPServerParams'
import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'
import { MessageWebSocket, messageConfig, type MessageSocketOptions } from './MessageWebSocket'
import { SecureServerSocket } from './SecureServerSocket'
import { ServerSocket } from './ServerSocket'
import { SocketAddress } from './SocketAddress'
import { WebSocket } from './WebSocket'

/** What `verifyClient` sees of an upgrade request (ws's `info`). */
export interface ClientInfo {
  /** The Origin field ('' when absent). */
  origin: string
  /** Whether the connection is TLS. */
  secure: boolean
  /** The upgrade request. */
  req: HTTPServerRequest
}

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
  handleProtocols?: (protocols: Set<string>, request: HTTPServerRequest) => string | false
  /** Accepts (true) or refuses (false: 401) an upgrade, for origin or credential checks. */
  verifyClient?: (info: ClientInfo) => boolean | Promise<boolean>
  /** Keep the open sockets in `clients`. Default true. */
  clientTracking?: boolean
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
  /** The open sockets (with `clientTracking`). */
  readonly clients = new Set<MessageWebSocket>()
  private readonly options: WebSocketServerOptions
  private readonly server: HTTPServer
  private readonly host: string
  private listening = false

  constructor(options: WebSocketServerOptions = {}, callback?: () => void) {
    super()
    this.options = options
    this.host = options.host ?? '0.0.0.0'
    const address = new SocketAddress(this.host, options.port ?? 0)
    const { backlog, context } = options
    // Bound when the server starts, so that a busy port is an 'error' event (as in ws).
    const openSocket = (): ServerSocket => {
      if (!context) return new ServerSocket(address, backlog)
      return backlog === undefined ? new SecureServerSocket(address, context) : new SecureServerSocket(address, backlog, context)
    }
    this.server = new HTTPServer(
      { createRequestHandler: () => ({ handleRequest: (request, response) => this.handleUpgrade(request, response) }) },
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

  /** Where the server listens (ws's `address()`). */
  address(): ServerAddress {
    if (!this.listening) throw new InvalidAccessException('The server is not listening')
    return { address: this.host, family: this.host.includes(':') ? 'IPv6' : 'IPv4', port: this.server.port() }
  }

  /** Stops accepting connections; open sockets stay open (as ws). `close` follows. */
  close(callback?: (error?: Error) => void): void {
    void this.server.stop().then(() => {
      this.listening = false
      callback?.()
      this.emit('close')
    })
  }

  private async handleUpgrade(request: HTTPServerRequest, response: HTTPServerResponse): Promise<void> {
    const { path, verifyClient, handleProtocols } = this.options
    if (!request.has('Upgrade')) {
      return reject(response, 426, 'This is a WebSocket endpoint: upgrade required')
    }
    // RFC 6455 §4.2.1, checked by the core, answered as ws answers.
    const rejection = request._native.upgradeRejection()
    if (rejection) {
      if (rejection.supportedVersion) response.set('Sec-WebSocket-Version', rejection.supportedVersion)
      return reject(response, rejection.status, rejection.message)
    }
    if (path !== undefined && request.getURI().split('?')[0] !== path) {
      return reject(response, HTTPStatus.HTTP_BAD_REQUEST, 'No WebSocket at this path')
    }
    if (verifyClient && !(await verifyClient({ origin: request.get('Origin', ''), secure: request.secure(), req: request }))) {
      return reject(response, HTTPStatus.HTTP_UNAUTHORIZED, 'Unauthorized')
    }
    const offered = new Set(request._native.offeredProtocols)
    let protocol = ''
    if (offered.size > 0) {
      const chosen = handleProtocols ? handleProtocols(offered, request) : offered.values().next().value!
      // RFC 6455 §4.2.2: only one the client offered may be selected.
      if (chosen !== false && offered.has(chosen)) {
        protocol = chosen
        response.set('Sec-WebSocket-Protocol', protocol)
      }
    }
    const socket = await WebSocket._accept(request, response, messageConfig(this.options))
    const ws = MessageWebSocket._accepted(socket, this.options, protocol)
    if (this.options.clientTracking ?? true) this.track(ws)
    // Outside the request handler's promise: a listener's exception is uncaught, as with ws.
    process.nextTick(emitConnection, this, ws, request)
  }

  /** Keeps `ws` in `clients` while it is open (a closure of its own: it must not keep the request alive). */
  private track(ws: MessageWebSocket): void {
    this.clients.add(ws)
    ws.once('close', () => this.clients.delete(ws))
  }
}

function emitConnection(server: WebSocketServer, ws: MessageWebSocket, request: HTTPServerRequest): void {
  server.emit('connection', ws, request)
}

function reject(response: HTTPServerResponse, status: number, text: string): void {
  response.setStatusAndReason(status)
  response.set('Connection', 'close')
  response.setContentType('text/plain')
  response.send(`${text}\n`)
}

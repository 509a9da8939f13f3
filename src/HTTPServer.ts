import { call, native, pump, type NativeServer, type NativeServerRequest } from './binding'
import { InvalidAccessException } from './exceptions'
import type { HTTPRequestHandlerFactory } from './HTTPRequestHandler'
import { HTTPStatus } from './HTTPResponse'
import { HTTPServerParams } from './HTTPServerParams'
import { HTTPServerRequest } from './HTTPServerRequest'
import { HTTPServerResponse } from './HTTPServerResponse'
import { SecureServerSocket } from './SecureServerSocket'
import { SocketAddress } from './SocketAddress'

/**
 * Poco's `HTTPServer`: accepts connections, reads requests and hands each one to a handler
 * from `factory`. A handler may answer with a plain response or upgrade with
 * `WebSocket.accept`.
 */
export class HTTPServer {
  /** Called with whatever a handler throws (after the client got its 500). */
  onError: (error: unknown) => void = (error) => console.error('HTTPServer: request handler failed:', error)

  private readonly factory: HTTPRequestHandlerFactory
  private readonly address: SocketAddress
  private readonly secureSocket?: SecureServerSocket
  private readonly params: HTTPServerParams
  private server: NativeServer | null = null
  private serving: Promise<void> = Promise.resolve()

  /**
   * `port` alone listens on every IPv4 interface (as Poco's `ServerSocket(port)`); a
   * `"host:port"` string (`"127.0.0.1:0"`, `"[::1]:8080"`) listens on that address.
   * Port 0 picks a free port: read it back with `port()`. A `SecureServerSocket` makes it an
   * HTTPS server (wss), as in Poco; plain and TLS servers run side by side in one process.
   */
  constructor(factory: HTTPRequestHandlerFactory, port: number | string | SecureServerSocket = 0, params = new HTTPServerParams()) {
    this.factory = factory
    if (port instanceof SecureServerSocket) {
      this.secureSocket = port
      this.address = port.address()
    } else {
      this.address = typeof port === 'number' ? new SocketAddress('0.0.0.0', port) : new SocketAddress(port)
    }
    this.params = params
  }

  /** Starts listening; resolves once the socket is bound (then `port()` is known). */
  async start(): Promise<void> {
    if (this.server) throw new InvalidAccessException('The server is already started')
    const server = await call(() =>
      native.listen(pump.native, this.address.host(), this.address.port(), {
        timeoutMs: this.params.getTimeout(),
        keepAlive: this.params.getKeepAlive(),
        serverName: this.params.getServerName(),
        maxQueued: this.params.getMaxQueued(),
        maxHeadBytes: this.params.getMaxHeaderSize(),
        maxHeaderFields: this.params.getFieldLimit(),
      }, this.secureSocket?.context()._native),
    )
    this.server = server
    this.serving = this.serve(server)
  }

  /** Stops accepting; upgraded WebSockets and requests in progress go on. */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    server.stop()
    await this.serving
  }

  /** The port the server listens on (the chosen one when it was started with 0). */
  port(): number {
    if (!this.server) throw new InvalidAccessException('The server is not started')
    return this.server.port()
  }

  private async serve(server: NativeServer): Promise<void> {
    for (;;) {
      for (const request of server.takeRequests()) void this.dispatch(request)
      if (server.stopped) return
      if (!server.arm()) await pump.wait(server.id)
    }
  }

  private async dispatch(nativeRequest: NativeServerRequest): Promise<void> {
    const request = new HTTPServerRequest(nativeRequest)
    const response = new HTTPServerResponse(request)
    try {
      const handler = this.factory.createRequestHandler(request)
      await handler.handleRequest(request, response)
      if (!response.sent()) response.send()
    } catch (error) {
      if (!response.sent() && !nativeRequest.answered) {
        response.setStatusAndReason(HTTPStatus.HTTP_INTERNAL_SERVER_ERROR)
        response.erase('Content-Length')
        response.set('Connection', 'Close')
        try {
          response.send()
        } catch {
          // The connection is already gone; nothing left to answer.
        }
      }
      this.onError(error)
    }
  }
}


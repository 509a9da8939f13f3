import { call, native, pump, type NativeServer, type NativeServerRequest } from './binding'
import { InvalidAccessException } from './exceptions'
import type { HTTPRequestHandlerFactory } from './HTTPRequestHandler'
import { HTTPStatus } from './HTTPResponse'
import { HTTPServerParams } from './HTTPServerParams'
import { HTTPServerRequest } from './HTTPServerRequest'
import { HTTPServerResponse } from './HTTPServerResponse'
import { SecureServerSocket } from './SecureServerSocket'
import { listenAddress, ServerSocket } from './ServerSocket'

/**
 * Poco's `HTTPServer`: accepts connections, reads requests and hands each one to a handler
 * from `factory`. A handler may answer with a plain response or upgrade with
 * `WebSocket.accept`.
 */
export class HTTPServer {
  /** Called with whatever a handler throws (after the client got its 500). */
  onError: (error: unknown) => void = (error) => console.error('HTTPServer: request handler failed:', error)

  private readonly factory: HTTPRequestHandlerFactory
  private readonly openSocket: () => ServerSocket
  private readonly params: HTTPServerParams
  private server: NativeServer | null = null
  private serving: Promise<void> = Promise.resolve()

  /**
   * Poco's `HTTPServer(factory, socket, params)`: serves on `socket`, a {@link ServerSocket}
   * (already listening) or a {@link SecureServerSocket} (an HTTPS server: wss). `start()` takes
   * the socket over; `stop()` closes it. Plain and TLS servers run side by side in one process.
   *
   * A port alone listens on every IPv4 interface (as `ServerSocket(port)`); a `"host:port"`
   * string (`"127.0.0.1:0"`, `"[::1]:8080"`) listens on that address. Those bind when the
   * server starts, so `start()` rejects when the port is busy. Port 0 picks a free port: read it
   * back with `port()`.
   */
  constructor(factory: HTTPRequestHandlerFactory, socket?: ServerSocket | number | string, params?: HTTPServerParams)
  /** @internal A socket made when the server starts (WebSocketServer reports bind errors as events). */
  constructor(factory: HTTPRequestHandlerFactory, socket: () => ServerSocket, params?: HTTPServerParams)
  constructor(factory: HTTPRequestHandlerFactory, socket: ServerSocket | number | string | (() => ServerSocket) = 0, params = new HTTPServerParams()) {
    this.factory = factory
    if (typeof socket === 'function') this.openSocket = socket
    else if (socket instanceof ServerSocket) this.openSocket = () => socket
    else {
      const address = listenAddress(socket)
      this.openSocket = () => new ServerSocket(address)
    }
    this.params = params
  }

  /** Starts accepting on the socket; resolves once it is serving (then `port()` is known). */
  async start(): Promise<void> {
    if (this.server) throw new InvalidAccessException('The server is already started')
    const socket = this.openSocket()
    const context = socket instanceof SecureServerSocket ? socket.context()._native : undefined
    const server = await call(() =>
      native.listen(
        pump.native,
        socket._native,
        this.params._native(),
        context,
      ),
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


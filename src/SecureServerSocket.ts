import { Context } from './Context'
import { InvalidArgumentException } from './exceptions'
import { ServerSocket } from './ServerSocket'
import type { SocketAddress } from './SocketAddress'

/**
 * Poco's `SecureServerSocket`: a {@link ServerSocket} whose connections start with a TLS
 * handshake using the server `Context` (certificate chain and key). Given to `HTTPServer` it
 * makes an HTTPS server (wss). A plain HTTP request on it is answered `400` ("The plain HTTP
 * request was sent to HTTPS port") and closed.
 */
export class SecureServerSocket extends ServerSocket {
  private readonly _context: Context

  /** Poco's `SecureServerSocket(context)`: no OS socket until `bind()` or `bind6()`; then `listen()`. */
  constructor(context: Context)
  /** `port` (every IPv4 interface), `"host:port"` or a `SocketAddress`, bound and listening at once as `ServerSocket`'s. */
  constructor(address: number | string | SocketAddress, context: Context)
  /** Poco's `SecureServerSocket(port, backlog, context)`. */
  constructor(address: number | string | SocketAddress, backlog: number, context: Context)
  constructor(first: Context | number | string | SocketAddress, second?: number | Context, third?: Context) {
    const context = first instanceof Context ? first : typeof second === 'number' ? third : second
    // Checked before binding, so a wrong Context leaves no socket behind.
    if (!(context instanceof Context) || !context.isForServerUse()) {
      throw new InvalidArgumentException('A SecureServerSocket needs a server Context (TLS_SERVER_USE)')
    }
    const backlog = typeof second === 'number' ? second : undefined
    if (first instanceof Context) super()
    else if (typeof first === 'number') super(first, backlog)
    else super(first, backlog)
    this._context = context
  }

  /** The server `Context` every connection's TLS handshake uses. */
  context(): Context {
    return this._context
  }

  /** True: connections accepted on this socket use TLS. */
  override secure(): boolean {
    return true
  }
}

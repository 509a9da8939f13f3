import type { Context } from './Context'
import { InvalidArgumentException } from './exceptions'
import { SocketAddress } from './SocketAddress'

/**
 * Poco's `SecureServerSocket`, as given to `HTTPServer`: where to listen, and the server
 * `Context` (certificate chain and key) every connection's TLS handshake uses. It binds when
 * the server starts. A plain HTTP request on it is answered `400` ("The plain HTTP request was
 * sent to HTTPS port") and closed.
 */
export class SecureServerSocket {
  private readonly _address: SocketAddress
  private readonly _context: Context

  /** `port` (every IPv4 interface) or `"host:port"`, as for `HTTPServer`. */
  constructor(port: number | string, context: Context)
  /** Poco's `SecureServerSocket(port, backlog, context)`; the backlog is the OS default here. */
  constructor(port: number | string, backlog: number, context: Context)
  constructor(port: number | string, backlogOrContext: number | Context, context?: Context) {
    const chosen = typeof backlogOrContext === 'number' ? context : backlogOrContext
    if (!chosen || !chosen.isForServerUse()) {
      throw new InvalidArgumentException('A SecureServerSocket needs a server Context (TLS_SERVER_USE)')
    }
    this._address = typeof port === 'number' ? new SocketAddress('0.0.0.0', port) : new SocketAddress(port)
    this._context = chosen
  }

  /** The address it listens on (port 0 until the server reports the chosen one). */
  address(): SocketAddress {
    return this._address
  }

  /** The server `Context` every connection's TLS handshake uses. */
  context(): Context {
    return this._context
  }

  /** Always true: connections accepted on this socket use TLS. */
  secure(): boolean {
    return true
  }
}

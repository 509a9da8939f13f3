import { Context } from './Context'
import { HTTPClientSession } from './HTTPClientSession'

/**
 * Poco's `HTTPSClientSession`: an `HTTPClientSession` over TLS, for wss://. The host name is sent
 * as SNI and checked against the server's certificate (unless the context is VERIFY_NONE).
 * Without a context, `Context.defaultClientContext()` is used: VERIFY_RELAXED with the default
 * roots (Mozilla's plus the system store).
 */
export class HTTPSClientSession extends HTTPClientSession {
  /** The default HTTPS port, 443. */
  static readonly HTTPS_PORT = 443

  private readonly context: Context

  constructor(host = '', port = HTTPSClientSession.HTTPS_PORT, context: Context = Context.defaultClientContext()) {
    super(host, port)
    this.context = context
  }

  /** The TLS context used for the handshake (the default client context when none was given). */
  getContext(): Context {
    return this.context
  }

  /** Always true: the connection runs over TLS. */
  override secure(): boolean {
    return true
  }

  /** @internal */
  override _tlsContext(): Context {
    return this.context
  }
}

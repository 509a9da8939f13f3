import type { NativeServerRequest } from './binding'
import { HTTPRequest } from './HTTPRequest'
import { SocketAddress } from './SocketAddress'

/** Poco's `HTTPServerRequest`: a request as the server received it. */
export class HTTPServerRequest extends HTTPRequest {
  /** @internal */
  readonly _native: NativeServerRequest
  private readonly body: Buffer

  /** @internal */
  constructor(request: NativeServerRequest) {
    super(request.method, request.uri, request.version)
    this._native = request
    this.assignFlatList(request.headers)
    this.body = request.body
  }

  /** The request body (read by Content-Length; empty when there is none). */
  getBody(): Buffer {
    return this.body
  }

  /** The client's address. */
  clientAddress(): SocketAddress {
    return new SocketAddress(this._native.peerAddress)
  }

  /** True when the request came over TLS (an HTTPServer on a `SecureServerSocket`). */
  secure(): boolean {
    return this._native.secure
  }

  /** The server's address this request came in on. */
  serverAddress(): SocketAddress {
    return new SocketAddress(this._native.localAddress)
  }
}

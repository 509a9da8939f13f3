import type { IncomingHttpHeaders } from 'node:http'

import type { NativeServerRequest } from './binding'
import { HTTPRequest } from './HTTPRequest'
import { SocketAddress } from './SocketAddress'

/**
 * The parts of Node's `req.socket` that code written for ws reads from an upgrade request
 * (`req.socket.remoteAddress`…), on a request of the server's own port.
 */
export interface RequestSocket {
  /** The client's address. */
  remoteAddress: string
  /** The client's port. */
  remotePort: number
  /** 'IPv4' or 'IPv6'. */
  remoteFamily: string
  /** The server's address this request came in on. */
  localAddress: string
  /** The server's port. */
  localPort: number
  /** True over TLS (as a `TLSSocket`'s `encrypted`). */
  encrypted: boolean
}

/** Fields Node's `req.headers` keeps once (the first), as its documentation lists them. */
const SINGLE_FIELDS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
])

/**
 * Poco's `HTTPServerRequest`: a request as the server received it. It also has the read-only
 * names of Node's `http.IncomingMessage` (`url`, `method`, `httpVersion`, `headers`,
 * `rawHeaders`, `socket`), so that `connection`, `verifyClient` and `handleProtocols` code
 * written for ws reads the request on the server's own port as on Node's.
 */
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

  /** The request target, as Node's `req.url` (Poco: `getURI()`). */
  get url(): string {
    return this.getURI()
  }

  /** The method, as Node's `req.method`. */
  get method(): string {
    return this.getMethod()
  }

  /** '1.1' or '1.0', as Node's `req.httpVersion`. */
  get httpVersion(): string {
    return this.getVersion().replace(/^HTTP\//, '')
  }

  /**
   * The fields as Node's `req.headers`: names in lower case; a repeated field joined with ', '
   * (set-cookie: an array; the fields Node keeps once: the first).
   */
  get headers(): IncomingHttpHeaders {
    const headers: Record<string, string | string[]> = {}
    const flat = this.toFlatList()
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = flat[i].toLowerCase()
      const value = flat[i + 1]
      const known = headers[name]
      if (name === 'set-cookie') headers[name] = [...((known as string[] | undefined) ?? []), value]
      else if (known === undefined) headers[name] = value
      else if (!SINGLE_FIELDS.has(name)) headers[name] = `${known as string}, ${value}`
    }
    return headers
  }

  /** Name, value, name, value… as received, as Node's `req.rawHeaders`. */
  get rawHeaders(): string[] {
    return this.toFlatList()
  }

  /** The connection's addresses, as the fields of Node's `req.socket` that ws code reads. */
  get socket(): RequestSocket {
    const remote = this.clientAddress()
    const local = this.serverAddress()
    return {
      remoteAddress: remote.host(),
      remotePort: remote.port(),
      remoteFamily: remote.family(),
      localAddress: local.host(),
      localPort: local.port(),
      encrypted: this.secure(),
    }
  }
}

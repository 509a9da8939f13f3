import { HTTPMessage } from './HTTPMessage'

/** Poco's `HTTPRequest`. As in Poco, the default version is HTTP/1.0. */
export class HTTPRequest extends HTTPMessage {
  /** `"GET"`, the method of a WebSocket handshake. */
  static readonly HTTP_GET = 'GET'
  /** `"HEAD"`. */
  static readonly HTTP_HEAD = 'HEAD'
  /** `"PUT"`. */
  static readonly HTTP_PUT = 'PUT'
  /** `"POST"`. */
  static readonly HTTP_POST = 'POST'
  /** `"OPTIONS"`. */
  static readonly HTTP_OPTIONS = 'OPTIONS'
  /** `"DELETE"`. */
  static readonly HTTP_DELETE = 'DELETE'
  /** `"TRACE"`. */
  static readonly HTTP_TRACE = 'TRACE'
  /** `"CONNECT"`. */
  static readonly HTTP_CONNECT = 'CONNECT'
  /** `"PATCH"`. */
  static readonly HTTP_PATCH = 'PATCH'

  private requestMethod: string
  private requestURI: string

  constructor(method: string = HTTPRequest.HTTP_GET, uri = '/', version: string = HTTPMessage.HTTP_1_0) {
    super(version)
    this.requestMethod = method
    this.requestURI = uri
  }

  /** The request method. */
  getMethod(): string {
    return this.requestMethod
  }

  /** Sets the request method. */
  setMethod(method: string): void {
    this.requestMethod = method
  }

  /** The request target, e.g. `"/chat?room=1"`. */
  getURI(): string {
    return this.requestURI
  }

  /** Sets the request target. */
  setURI(uri: string): void {
    this.requestURI = uri
  }

  /** Sets the Host field: `host`, or `host:port` for a port other than 80. */
  setHost(host: string, port?: number): void {
    this.set('Host', port === undefined || port === 80 ? host : `${host}:${port}`)
  }

  /** The Host field (empty when there is none). */
  getHost(): string {
    return this.get('Host', '')
  }
}

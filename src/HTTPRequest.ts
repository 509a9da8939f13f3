import { HTTPMessage } from './HTTPMessage'

/** Poco's `HTTPRequest`. As in Poco, the default version is HTTP/1.0. */
export class HTTPRequest extends HTTPMessage {
  static readonly HTTP_GET = 'GET'
  static readonly HTTP_HEAD = 'HEAD'
  static readonly HTTP_PUT = 'PUT'
  static readonly HTTP_POST = 'POST'
  static readonly HTTP_OPTIONS = 'OPTIONS'
  static readonly HTTP_DELETE = 'DELETE'
  static readonly HTTP_TRACE = 'TRACE'
  static readonly HTTP_CONNECT = 'CONNECT'
  static readonly HTTP_PATCH = 'PATCH'

  private method: string
  private uri: string

  constructor(method: string = HTTPRequest.HTTP_GET, uri = '/', version: string = HTTPMessage.HTTP_1_0) {
    super(version)
    this.method = method
    this.uri = uri
  }

  getMethod(): string {
    return this.method
  }

  setMethod(method: string): void {
    this.method = method
  }

  getURI(): string {
    return this.uri
  }

  setURI(uri: string): void {
    this.uri = uri
  }

  setHost(host: string, port?: number): void {
    this.set('Host', port === undefined || port === 80 ? host : `${host}:${port}`)
  }

  getHost(): string {
    return this.get('Host', '')
  }
}

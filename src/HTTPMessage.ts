import { NameValueCollection } from './NameValueCollection'

/** Poco's `HTTPMessage`: a version and header fields. */
export class HTTPMessage extends NameValueCollection {
  /** `"HTTP/1.0"`. */
  static readonly HTTP_1_0 = 'HTTP/1.0'
  /** `"HTTP/1.1"`. */
  static readonly HTTP_1_1 = 'HTTP/1.1'
  /** `getContentLength()` when there is no Content-Length field. */
  static readonly UNKNOWN_CONTENT_LENGTH = -1

  private version: string

  constructor(version: string = HTTPMessage.HTTP_1_0) {
    super()
    this.version = version
  }

  /** The HTTP version, e.g. `"HTTP/1.1"`. */
  getVersion(): string {
    return this.version
  }

  /** Sets the HTTP version. */
  setVersion(version: string): void {
    this.version = version
  }

  /** Sets Content-Length, or removes it for UNKNOWN_CONTENT_LENGTH. */
  setContentLength(length: number): void {
    if (length === HTTPMessage.UNKNOWN_CONTENT_LENGTH) this.erase('Content-Length')
    else this.set('Content-Length', String(length))
  }

  /** The Content-Length field, or UNKNOWN_CONTENT_LENGTH when there is none. */
  getContentLength(): number {
    const value = this.get('Content-Length', '')
    return value === '' ? HTTPMessage.UNKNOWN_CONTENT_LENGTH : Number(value)
  }

  /** Sets the Content-Type field. */
  setContentType(mediaType: string): void {
    this.set('Content-Type', mediaType)
  }

  /** The Content-Type field (empty when there is none). */
  getContentType(): string {
    return this.get('Content-Type', '')
  }
}

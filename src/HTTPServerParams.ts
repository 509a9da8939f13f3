/** Poco's `HTTPServerParams`, as far as the server applies them. */
export class HTTPServerParams {
  private timeout = 60_000
  private keepAlive = true
  private serverName = ''
  private maxQueued = 1024
  private maxThreads = 0
  private maxHeaderSize = 16 * 1024
  private fieldLimit = 100

  /** Deadline in milliseconds for receiving a request and for an idle keep-alive connection. */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  /** The request and keep-alive timeout in milliseconds. */
  getTimeout(): number {
    return this.timeout
  }

  /** Whether plain HTTP connections may serve more than one request (on by default). */
  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive
  }

  /** Whether keep-alive is on. */
  getKeepAlive(): boolean {
    return this.keepAlive
  }

  /** Sent as the `Server` field of every response when not empty. */
  setServerName(name: string): void {
    this.serverName = name
  }

  /** The `Server` field value (empty: none). */
  getServerName(): string {
    return this.serverName
  }

  /** Requests waiting for a handler beyond this many are answered `503 Service Unavailable`. */
  setMaxQueued(count: number): void {
    this.maxQueued = count
  }

  /** The most requests that may wait for a handler. */
  getMaxQueued(): number {
    return this.maxQueued
  }

  /** Largest request head (request line and fields) in bytes; over it the server answers 431. */
  setMaxHeaderSize(bytes: number): void {
    this.maxHeaderSize = bytes
  }

  /** The largest request head in bytes. */
  getMaxHeaderSize(): number {
    return this.maxHeaderSize
  }

  /** Most header fields in a request (Poco's `MessageHeader::setFieldLimit`); over it: 431. */
  setFieldLimit(count: number): void {
    this.fieldLimit = count
  }

  /** The most header fields in a request. */
  getFieldLimit(): number {
    return this.fieldLimit
  }

  /**
   * Kept for ported code; it has no effect. Handlers run on Node's event loop and connections
   * on the native runtime's threads, not on a thread per request.
   */
  setMaxThreads(count: number): void {
    this.maxThreads = count
  }

  /** The value given to `setMaxThreads` (it has no effect). */
  getMaxThreads(): number {
    return this.maxThreads
  }
}

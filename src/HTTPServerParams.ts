/** Poco's `HTTPServerParams`, as far as the server applies them. */
export class HTTPServerParams {
  private timeout = 60_000
  private keepAlive = true
  private serverName = ''
  private maxQueued = 64
  private maxThreads = 0

  /** Deadline in milliseconds for receiving a request and for an idle keep-alive connection. */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  getTimeout(): number {
    return this.timeout
  }

  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive
  }

  getKeepAlive(): boolean {
    return this.keepAlive
  }

  /** Sent as the `Server` field of every response when not empty. */
  setServerName(name: string): void {
    this.serverName = name
  }

  getServerName(): string {
    return this.serverName
  }

  /** Requests waiting for a handler beyond this many are answered `503 Service Unavailable`. */
  setMaxQueued(count: number): void {
    this.maxQueued = count
  }

  getMaxQueued(): number {
    return this.maxQueued
  }

  /**
   * Kept for ported code; it has no effect. Handlers run on Node's event loop and connections
   * on the native runtime's threads, not on a thread per request.
   */
  setMaxThreads(count: number): void {
    this.maxThreads = count
  }

  getMaxThreads(): number {
    return this.maxThreads
  }
}

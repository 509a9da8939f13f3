import { native } from './binding'

/** The defaults, from the core's one table (README, "Defaults"). */
const DEFAULTS = native.httpDefaults()

/**
 * Poco's `HTTPServerParams`, as far as the server applies them. A setting that was not set is
 * left to the core's default (the getters report it).
 */
export class HTTPServerParams {
  private timeout?: number
  private keepAlive?: boolean
  private serverName = ''
  private maxQueued?: number
  private maxThreads = 0
  private maxHeaderSize?: number
  private fieldLimit?: number

  /** Deadline in milliseconds for receiving a request and for an idle keep-alive connection. */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  /** The request and keep-alive timeout in milliseconds. */
  getTimeout(): number {
    return this.timeout ?? DEFAULTS.timeoutMs
  }

  /** Whether plain HTTP connections may serve more than one request (on by default). */
  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive
  }

  /** Whether keep-alive is on. */
  getKeepAlive(): boolean {
    return this.keepAlive ?? DEFAULTS.keepAlive
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
    return this.maxQueued ?? DEFAULTS.maxQueued
  }

  /** Largest request head (request line and fields) in bytes; over it the server answers 431. */
  setMaxHeaderSize(bytes: number): void {
    this.maxHeaderSize = bytes
  }

  /** The largest request head in bytes. */
  getMaxHeaderSize(): number {
    return this.maxHeaderSize ?? DEFAULTS.maxHeadBytes
  }

  /** Most header fields in a request (Poco's `MessageHeader::setFieldLimit`); over it: 431. */
  setFieldLimit(count: number): void {
    this.fieldLimit = count
  }

  /** The most header fields in a request. */
  getFieldLimit(): number {
    return this.fieldLimit ?? DEFAULTS.maxHeaderFields
  }

  /**
   * Kept for ported code; it has no effect. Handlers run on Node's event loop and connections
   * on the native runtime's threads, not on a thread per request.
   */
  setMaxThreads(count: number): void {
    this.maxThreads = count
  }

  /** @internal What was set, for the native server (the rest is the core's default). */
  _native(): { timeoutMs?: number; keepAlive?: boolean; serverName: string; maxQueued?: number; maxHeadBytes?: number; maxHeaderFields?: number } {
    return {
      timeoutMs: this.timeout,
      keepAlive: this.keepAlive,
      serverName: this.serverName,
      maxQueued: this.maxQueued,
      maxHeadBytes: this.maxHeaderSize,
      maxHeaderFields: this.fieldLimit,
    }
  }

  /** The value given to `setMaxThreads` (it has no effect). */
  getMaxThreads(): number {
    return this.maxThreads
  }
}

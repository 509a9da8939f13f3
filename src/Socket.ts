import type { NativeWebSocket } from './binding'
import { InvalidSocketException } from './exceptions'

/**
 * Poco's `Socket`: a handle. Copies made with `WebSocket.from` share one native socket, and
 * compare equal.
 */
export class Socket {
  /** @internal */
  protected readonly _impl: NativeWebSocket | null

  /** A socket with no connection behind it (Poco's default-constructed `Socket`). */
  constructor()
  /** @internal */
  constructor(impl: NativeWebSocket | null)
  constructor(impl: NativeWebSocket | null = null) {
    this._impl = impl
  }

  /** True when no connection stands behind this handle. */
  isNull(): boolean {
    return this._impl === null
  }

  /** Handles are equal when they share one connection. */
  equals(other: Socket): boolean {
    return this._impl === other._impl
  }

  /** Closes the connection without a CLOSE frame; frames already sent are still flushed. */
  close(): void {
    this._impl?.close()
  }

  /** @internal The open native socket, or InvalidSocketException. */
  protected open(): NativeWebSocket {
    const impl = this._impl
    if (impl === null || impl.closed) throw new InvalidSocketException()
    return impl
  }
}

/** Poco's `StreamSocket`. */
export class StreamSocket extends Socket {}

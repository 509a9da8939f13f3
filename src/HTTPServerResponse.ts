import { call, type NativeServerRequest, type NativeWebSocket, type NativeWebSocketConfig } from './binding'
import { InvalidAccessException } from './exceptions'
import { HTTPResponse } from './HTTPResponse'
import type { HTTPServerRequest } from './HTTPServerRequest'

/** Poco's `HTTPServerResponse`: the answer a handler builds and sends. */
export class HTTPServerResponse extends HTTPResponse {
  private readonly request: NativeServerRequest
  private isSent = false

  /** @internal */
  constructor(request: HTTPServerRequest) {
    super()
    this.request = request._native
    this.setVersion(request.getVersion())
  }

  /** Whether the response (or a 101 upgrade) has been sent. */
  sent(): boolean {
    return this.isSent
  }

  /**
   * Sends the status line, the fields and `body`. Without an explicit content length,
   * Content-Length is the body's size (0 without a body).
   */
  send(body?: string | Uint8Array): void {
    if (this.isSent) throw new InvalidAccessException('The response has already been sent')
    const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)
    if (this.getContentLength() === HTTPResponse.UNKNOWN_CONTENT_LENGTH) this.setContentLength(bytes?.length ?? 0)
    call(() => this.request.respond(this.getStatus(), this.getReason(), this.toFlatList(), bytes))
    this.isSent = true
  }

  /** @internal Used by `WebSocket.accept`: validates and sends the 101 with this response's fields. */
  upgrade(request: HTTPServerRequest, options: NativeWebSocketConfig): NativeWebSocket {
    if (this.isSent || request._native !== this.request) {
      throw new InvalidAccessException('The response has already been sent')
    }
    const socket = call(() => this.request.upgrade(this.toFlatList(), options))
    this.setStatusAndReason(101)
    this.isSent = true
    return socket
  }
}

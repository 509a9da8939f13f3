import { call, native, pump, type NativeWebSocket } from './binding'
import { Mode, SendFlags, StatusCodes } from './enums'
import { AssertionViolationException, InvalidArgumentException } from './exceptions'
import type { HTTPClientSession } from './HTTPClientSession'
import type { HTTPCredentials } from './HTTPCredentials'
import type { HTTPRequest } from './HTTPRequest'
import type { HTTPResponse } from './HTTPResponse'
import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'
import { Socket, StreamSocket } from './Socket'

/** The result of {@link WebSocket.receiveFrame}: payload bytes and the raw first header byte. */
export interface FrameInfo {
  n: number
  flags: number
}

/** The result of the growing-buffer {@link WebSocket.receiveFrame} overload. */
export interface ReceivedFrame extends FrameInfo {
  payload: Buffer
}

const MAX_INT = 0x7fffffff

/**
 * Poco's `WebSocket` (RFC 6455), frame level: one frame per receive, fragments and control
 * frames included, flags as the raw first header byte, no automatic PONG or CLOSE reply.
 */
export class WebSocket extends StreamSocket {
  static readonly WEBSOCKET_VERSION = '13'

  private constructor(impl: NativeWebSocket) {
    super(impl)
  }

  /**
   * Poco's client constructors: connects `cs` to its host, sends `request` with the upgrade
   * fields added, and leaves the server's answer in `response` (also when the upgrade fails).
   * With non-empty `credentials`, a 401 is answered once (Basic or Digest) with the same key;
   * a second 401 rejects with WS_ERR_UNAUTHORIZED.
   */
  static async connect(
    cs: HTTPClientSession,
    request: HTTPRequest,
    response: HTTPResponse,
    credentials?: HTTPCredentials,
  ): Promise<WebSocket> {
    const handshake = await call(() =>
      native.connect(
        pump.native,
        cs.getHost(),
        cs.getPort(),
        request.getMethod(),
        request.getURI(),
        request.getVersion(),
        request.toFlatList(),
        {
          timeoutMs: cs.getTimeout(),
          username: credentials?.getUsername() ?? '',
          password: credentials?.getPassword() ?? '',
        },
      ),
    )
    const answer = handshake.response()
    if (answer) response.assign(answer)
    return new WebSocket(call(() => handshake.takeSocket()))
  }

  /**
   * Poco's server constructor, inside a request handler: validates the upgrade request and
   * answers 101 (with any fields already set on `response`). On failure it rejects with
   * WebSocketException and sends nothing: the handler decides the answer (typically 400).
   */
  static async accept(request: HTTPServerRequest, response: HTTPServerResponse): Promise<WebSocket> {
    return new WebSocket(response.upgrade(request))
  }

  /** Poco's `WebSocket(const Socket&)`: another handle on the same WebSocket connection. */
  static from(socket: Socket): WebSocket {
    if (!(socket instanceof WebSocket) || socket._impl === null) {
      throw new InvalidArgumentException('Cannot assign incompatible socket')
    }
    return new WebSocket(socket._impl)
  }

  /** Poco's `computeAccept`: base64(SHA-1(key + GUID)). */
  static computeAccept(key: string): string {
    return native.computeAccept(key)
  }

  /** Poco's `createKey`: 16 random bytes, base64. */
  static createKey(): string {
    return native.createKey()
  }

  /**
   * Sends exactly one frame. `flags` is the frame's first header byte (FIN, RSV, opcode);
   * client frames are masked. Resolves to the payload length once the frame is buffered and
   * the write buffer is under its high-water mark.
   */
  async sendFrame(buffer: Uint8Array | string, flags: number = SendFlags.FRAME_TEXT): Promise<number> {
    const impl = this.open()
    const payload = typeof buffer === 'string' ? Buffer.from(buffer, 'utf8') : buffer
    if (!(payload instanceof Uint8Array)) throw new InvalidArgumentException('buffer must be a Uint8Array or a string')
    if (!Number.isInteger(flags)) throw new InvalidArgumentException('flags must be an integer')
    call(() => impl.sendFrame(flags & 0xff, payload))
    await this.drained(impl)
    return payload.length
  }

  /** Receives one frame into `buffer`; a frame larger than `buffer` rejects and stays queued. */
  receiveFrame(buffer: Uint8Array): Promise<FrameInfo>
  /** Receives one frame into a new Buffer (Poco's growing `Buffer<char>` overload). */
  receiveFrame(): Promise<ReceivedFrame>
  async receiveFrame(buffer?: Uint8Array): Promise<FrameInfo | ReceivedFrame> {
    const impl = this.open()
    if (buffer !== undefined && !(buffer instanceof Uint8Array)) {
      throw new InvalidArgumentException('buffer must be a Uint8Array')
    }
    for (;;) {
      if (buffer) {
        const info = call(() => impl.receiveInto(buffer))
        if (info) return info
      } else {
        const frame = call(() => impl.receive())
        if (frame) return { n: frame.payload.length, flags: frame.flags, payload: frame.payload }
      }
      if (!impl.armRead()) await pump.wait(impl.id)
    }
  }

  /**
   * Sends a CLOSE frame with the status code and message; resolves to its payload length.
   * It does not wait for the peer's CLOSE and does not close TCP (as in Poco).
   */
  async shutdown(statusCode: number = StatusCodes.WS_NORMAL_CLOSE, statusMessage = ''): Promise<number> {
    const impl = this.open()
    if (!Number.isInteger(statusCode) || statusCode < 0 || statusCode > 0xffff) {
      throw new InvalidArgumentException('statusCode must be an integer from 0 to 65535')
    }
    const n = call(() => impl.shutdown(statusCode, String(statusMessage)))
    await this.drained(impl)
    return n
  }

  /** WS_CLIENT if this end masks its frames, else WS_SERVER. */
  mode(): Mode {
    return this.open().mode() as Mode
  }

  /** Frames declaring a larger payload are rejected with WS_ERR_PAYLOAD_TOO_BIG. */
  setMaxPayloadSize(maxPayloadSize: number): void {
    if (!Number.isInteger(maxPayloadSize) || maxPayloadSize <= 0 || maxPayloadSize > MAX_INT) {
      throw new AssertionViolationException('maxPayloadSize must be an integer from 1 to 2147483647')
    }
    this.open().setMaxPayloadSize(maxPayloadSize)
  }

  getMaxPayloadSize(): number {
    return this.open().getMaxPayloadSize()
  }

  private async drained(impl: NativeWebSocket): Promise<void> {
    while (!impl.armWrite()) await pump.wait(impl.id)
  }
}

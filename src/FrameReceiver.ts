import { pump, type Listener, type NativeWebSocket } from './binding'

/** One frame as the pump handed it over: the raw first header byte and the payload. */
export interface QueuedFrame {
  /** The frame's first header byte. */
  flags: number
  /** The unmasked payload. */
  payload: Buffer
}

/** How input ended, once it did. */
export type InputEnd = 'eof' | 'failed'

const receivers = new WeakMap<NativeWebSocket, FrameReceiver>()

/**
 * The frames of one connection of Poco's frame API that reached JS. The pump hands them over in
 * batches, from its I/O callbacks, and `receiveFrame` takes them one at a time. A receive that
 * finds none asks for more and waits for a later batch, even when frames are already queued in
 * the core: so a `receiveFrame` loop returns to the event loop between batches however fast
 * frames arrive, and every connection gets its share of each batch. Shared by every `WebSocket`
 * handle on the connection.
 */
export class FrameReceiver implements Listener {
  private frames: QueuedFrame[] = []
  private head = 0
  private bytes = 0
  private ended: InputEnd | null = null
  private waiter: ((woken: boolean) => void) | null = null

  private constructor(private readonly impl: NativeWebSocket) {
    pump.listen(impl, this, false)
  }

  /** The receiver of `impl`'s connection, made on first use. */
  static of(impl: NativeWebSocket): FrameReceiver {
    let receiver = receivers.get(impl)
    if (!receiver) {
      receiver = new FrameReceiver(impl)
      receivers.set(impl, receiver)
    }
    return receiver
  }

  /** The receiver of `impl`'s connection if it has one. */
  static peek(impl: NativeWebSocket): FrameReceiver | undefined {
    return receivers.get(impl)
  }

  /** The next frame handed over, without taking it. */
  front(): QueuedFrame | undefined {
    return this.frames[this.head]
  }

  /** Takes the next frame handed over. */
  take(): QueuedFrame | undefined {
    const frame = this.frames[this.head]
    if (!frame) return undefined
    this.frames[this.head++] = undefined as unknown as QueuedFrame
    this.bytes -= frame.payload.length
    if (this.head === this.frames.length) {
      this.frames = []
      this.head = 0
    }
    return frame
  }

  /** How input ended, once every frame before the end has been taken. */
  end(): InputEnd | null {
    return this.front() ? null : this.ended
  }

  /** Payload bytes handed over and not taken. */
  queuedBytes(): number {
    return this.bytes
  }

  /**
   * Asks for the next frames and waits for the batch that brings them (or the end of input);
   * resolves `false` when `timeoutMs` passes first.
   */
  wait(timeoutMs?: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      this.waiter = (woken) => {
        this.waiter = null
        clearTimeout(timer)
        pump.release()
        resolve(woken)
      }
      pump.hold()
      if (timeoutMs !== undefined) timer = setTimeout(() => this.waiter?.(false), timeoutMs)
      this.impl.wantFrames()
    })
  }

  /** The connection is closed: a pending receive is released (it then finds the socket closed). */
  close(): void {
    pump.unlisten(this.impl.id)
    this.ended ??= 'failed'
    this.waiter?.(true)
  }

  /** Hands the frames not yet taken to another owner (`MessageWebSocket.from`). */
  detach(): QueuedFrame[] {
    pump.unlisten(this.impl.id)
    receivers.delete(this.impl)
    const frames = this.frames.slice(this.head)
    this.frames = []
    this.head = 0
    this.bytes = 0
    return frames
  }

  /** @internal */
  onWake(): void {}

  /** @internal */
  onFrame(flags: number, payload: Buffer): void {
    this.frames.push({ flags, payload })
    this.bytes += payload.length
    this.waiter?.(true)
  }

  /** @internal */
  onEnd(failed: boolean): void {
    this.ended = failed ? 'failed' : 'eof'
    this.waiter?.(true)
  }
}

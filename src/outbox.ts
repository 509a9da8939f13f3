import type { NativePump } from '../native/index'

/** A socket with sends in the outbox: told how many bytes are buffered once they are handed over. */
export interface Sender {
  /** After a flush with this socket's sends: `buffered` bytes wait in its write buffer. */
  afterFlush(buffered: number, failed: boolean): void
  /** The socket's handle id. */
  readonly _id: number
  /** Set while the socket has sends in the current outbox. */
  _queued: boolean
}


/**
 * The sends of every message-level socket, handed to the runtime in one call per batch (at the
 * end of a pump dispatch, or in a microtask for sends made elsewhere): a message costs no napi
 * call of its own. A small payload is copied into the outbox's one reused buffer when sent (no
 * allocation per batch, whose fresh pages would each fault in); a large one goes alone, uncopied.
 */
export class Outbox {
  private meta: Uint32Array
  private count = 0
  /** The small payloads of the batch, back to back (they stay under flushBytes + largePayload). */
  private readonly scratch: Buffer
  /** A large payload, handed over alone. */
  private lone: Uint8Array | null = null
  private bytes = 0
  private senders: Sender[] = []
  private scheduled = false
  /** Set during a pump dispatch, which flushes when it is done. */
  dispatching = false
  /** Publishes wait in the native topics (batched): the flush hands them over, before the sends. */
  private publishes = false

  /**
   * Payloads from `largePayload` bytes are handed over in a call of their own, without a copy;
   * the outbox is flushed at once when `flushBytes` wait; `stride` is the binding's record size.
   */
  constructor(
    private readonly pump: NativePump,
    private readonly largePayload: number,
    private readonly flushBytes: number,
    private readonly stride: number,
  ) {
    this.meta = new Uint32Array(stride * 256)
    this.scratch = Buffer.allocUnsafeSlow(flushBytes + largePayload)
  }

  send(id: number, flags: number, payload: Uint8Array, sender: Sender): void {
    // A large payload goes in a call of its own: copying it into the batch would cost more
    // than the call.
    const alone = payload.length >= this.largePayload
    if (alone || this.bytes + payload.length > this.scratch.length) this.flush()
    if (this.count * this.stride === this.meta.length) {
      const grown = new Uint32Array(this.meta.length * 2)
      grown.set(this.meta)
      this.meta = grown
    }
    const at = this.count * this.stride
    this.meta[at] = id
    this.meta[at + 1] = flags
    this.meta[at + 2] = payload.length
    this.count++
    if (alone) this.lone = payload
    else this.scratch.set(payload, this.bytes)
    this.bytes += payload.length
    if (!sender._queued) {
      sender._queued = true
      this.senders.push(sender)
    }
    if (alone || this.bytes >= this.flushBytes) this.flush()
    else if (!this.dispatching && !this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  /** Hands over the queued sends (with the publishes before them), leaving a lone batch of publishes to grow. */
  flushSends(): void {
    if (this.count > 0) this.flush()
  }

  /** A publish was batched natively: it goes out with the next flush, as a send would. */
  published(): void {
    this.publishes = true
    if (!this.dispatching && !this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  /**
   * Hands the batched publishes and every queued send to the runtime (in the order they were
   * made: a publish hands over the sends before it), then tells each socket its buffered bytes.
   * With `endTurn` (the end of a pump dispatch), the same call ends the pump's turn once the
   * sends are handed over; false when there was nothing to hand over (the caller ends it).
   */
  flush(endTurn = false): boolean {
    this.scheduled = false
    if (this.count === 0) {
      if (this.publishes) this.flushPublishes()
      return false
    }
    // sendFrames hands the publishes over first.
    this.publishes = false
    const { meta, count, senders } = this
    // sendFrames copies what it takes before it returns: the scratch is free again after it.
    const data = this.lone ?? this.scratch
    this.count = 0
    this.lone = null
    this.bytes = 0
    this.senders = []
    const failed = new Set(this.pump.sendFrames(meta, count, data, endTurn).map((index) => meta[index * this.stride]))
    // The last record of each socket carries its buffered bytes after all of its sends.
    const buffered = new Map<number, number>()
    for (let i = 0; i < count; i++) buffered.set(meta[i * this.stride], meta[i * this.stride + 2])
    if (meta.length > this.stride * 256) this.meta = new Uint32Array(this.stride * 256)
    for (const sender of senders) {
      sender._queued = false
      sender.afterFlush(buffered.get(sender._id) ?? 0, failed.has(sender._id))
    }
    return true
  }

  private flushPublishes(): void {
    this.publishes = false
    this.pump.flushPublishes()
  }
}

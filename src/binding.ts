import type * as Native from '../native/index'
import { fromNative } from './exceptions'
import { Outbox } from './outbox'
import { loadNative } from './loadNative'

/** The napi binding, through the loader generated into native/ at the package root. */
export const native: typeof Native = loadNative()

export type NativeWebSocket = Native.NativeWebSocket
export type NativeServer = Native.NativeServer
export type NativeListener = Native.NativeListener
export type NativeBindConfig = Native.BindConfig
export type NativeServerRequest = Native.NativeServerRequest
export type NativeWebSocketConfig = Native.WebSocketConfig
export type NativeTlsContext = Native.NativeTlsContext

/** Runs a native call, turning its errors into Poco exception classes. */
export function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw translate(error)
  }
}

/** A native error as its Poco exception class. */
export function translate(error: unknown): unknown {
  return fromNative(error, native.decodeError)
}

interface Waiter {
  ids: number[]
  settle: (woken: boolean) => void
}

/**
 * Resolves JS waiters when the runtime reports their handle ready. One native pump serves
 * every socket and server of this JS environment: the runtime calls it once per batch.
 * The event loop is kept alive only while something waits.
 */
class Pump {
  private readonly waiters = new Map<number, Set<Waiter>>()
  /** Message-level sockets: their frames come with every dispatch. */
  private readonly listeners = new Map<number, Listener>()
  private readonly records = new Uint32Array(1 + RECORD_FIELDS * 4096)
  private holds = 0
  readonly native = new native.NativePump(() => this.dispatch())
  /** Sends of message-level sockets, handed over once per batch. */
  readonly outbox = new Outbox(this.native, native.LARGE_PAYLOAD, native.messageDefaults().outboxFlushBytes, native.RECORD_FIELDS)

  /**
   * `listener` gets `socket`'s frames, wake-ups and end: every frame (`messages`, the message
   * API), or frame by frame as the socket wants them (`wantFrames`, Poco's frame API).
   */
  listen(socket: NativeWebSocket, listener: Listener, messages: boolean): void {
    this.listeners.set(socket.id, listener)
    this.native.listen(socket, messages)
  }

  unlisten(id: number): void {
    this.listeners.delete(id)
    this.native.unlisten(id)
  }

  /** Keeps the event loop alive (as an open net.Socket does) until the matching `release()`. */
  hold(): void {
    if (this.holds++ === 0) this.native.ref()
  }

  release(): void {
    if (--this.holds === 0) this.native.unref()
  }

  /** Resolves `true` on the next report for handle `id`, or `false` after `timeoutMs`. */
  wait(id: number, timeoutMs?: number): Promise<boolean> {
    return this.waitAny([id], timeoutMs)
  }

  /**
   * Resolves `true` on the next report for any of `ids`, or `false` after `timeoutMs`
   * (no timeout when it is undefined). The caller re-checks and re-arms.
   */
  waitAny(ids: number[], timeoutMs?: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const waiter: Waiter = {
        ids,
        settle: (woken) => {
          for (const id of ids) {
            const set = this.waiters.get(id)
            set?.delete(waiter)
            if (set?.size === 0) this.waiters.delete(id)
          }
          clearTimeout(timer)
          this.release()
          resolve(woken)
        },
      }
      for (const id of ids) {
        const set = this.waiters.get(id) ?? new Set<Waiter>()
        set.add(waiter)
        this.waiters.set(id, set)
      }
      this.hold()
      if (timeoutMs !== undefined) timer = setTimeout(() => waiter.settle(false), Math.max(0, timeoutMs))
    })
  }

  /** One runtime report: every ready handle's frames and wake-ups, then the batch's sends. */
  private dispatch(): void {
    const records = this.records
    this.outbox.dispatching = true
    try {
      const buffers = this.native.takeMessages(records)
      const small = buffers[0]
      const count = records[0]
      let offset = 0
      let large = 1
      for (let i = 0; i < count; i++) {
        const at = 1 + RECORD_FIELDS * i
        const id = records[at]
        const kind = records[at + 1]
        const length = records[at + 2]
        let payload: Buffer = EMPTY
        if (kind < RECORD_WAKE && length > 0) {
          if (length >= LARGE_PAYLOAD) {
            payload = buffers[large++]
          } else {
            payload = offset === 0 && length === small.length ? small : small.subarray(offset, offset + length)
            offset += length
          }
        }
        try {
          if (kind === RECORD_WAKE) {
            this.listeners.get(id)?.onWake()
            const waiters = this.waiters.get(id)
            if (waiters) for (const waiter of [...waiters]) waiter.settle(true)
          } else if (kind < RECORD_WAKE) {
            this.listeners.get(id)?.onFrame(kind, payload)
          } else {
            // The socket left the native pump with this record.
            const listener = this.listeners.get(id)
            this.listeners.delete(id)
            listener?.onEnd(kind === RECORD_FAILED)
          }
        } catch (error) {
          // The app's uncaught exception, as from a net.Socket handler; the rest of the batch
          // still reaches the other handles.
          process.nextTick(() => {
            throw error
          })
        }
      }
    } finally {
      this.outbox.dispatching = false
      // The replies are handed over, then the peers' CLOSEs may be answered (one call for both).
      if (!this.outbox.flush(true)) this.native.endTurn()
    }
  }
}

const EMPTY = Buffer.alloc(0)
const { RECORD_FIELDS, RECORD_WAKE, RECORD_FAILED, LARGE_PAYLOAD } = native

/** What a message-level socket hears from the pump. */
export interface Listener {
  /** The handle was reported: a wait on the write buffer may be over. */
  onWake(): void
  /** One frame (a whole message, or a control frame) with its raw first header byte. */
  onFrame(flags: number, payload: Buffer): void
  /** Input ended: in order, or `failed` (the socket's `receive()` throws the error). */
  onEnd(failed: boolean): void
}

export const pump = new Pump()

/**
 * What only JS changes on a native socket (closed by `close()`, blocking, the receive timeout),
 * kept beside it: the frame loop reads these for every frame, without a call into the addon.
 */
export interface SocketState {
  closed: boolean
  blocking: boolean
  receiveTimeout: number
}

const socketStates = new WeakMap<NativeWebSocket, SocketState>()

/** `impl`'s state, read from the addon on first use. */
export function socketState(impl: NativeWebSocket): SocketState {
  let state = socketStates.get(impl)
  if (!state) {
    state = { closed: impl.closed, blocking: impl.getBlocking(), receiveTimeout: impl.getReceiveTimeout() }
    socketStates.set(impl, state)
  }
  return state
}

/** The time left until `deadline` (ms since the epoch), or undefined for no deadline. */
export function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - Date.now())
}

/** A deadline `timeoutMs` from now; none for 0 (POSIX: a zero timeout means none). */
export function deadlineAfter(timeoutMs: number): number | undefined {
  return timeoutMs > 0 ? Date.now() + timeoutMs : undefined
}

import type * as Native from '../native/index'
import { fromNative } from './exceptions'

/**
 * The napi loader is generated into native/ at the package root; compiled code runs from
 * dist/src, two levels below it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: typeof Native = require('../../native/index.js')

export type NativeWebSocket = Native.NativeWebSocket
export type NativeServer = Native.NativeServer
export type NativeServerRequest = Native.NativeServerRequest
export type NativeWebSocketConfig = Native.WebSocketConfig
export type NativeTlsContext = Native.NativeTlsContext

/** Runs a native call, turning its errors into Poco exception classes. */
export function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
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
  private holds = 0
  readonly native = new native.NativePump(() => this.dispatch())

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
          if (--this.holds === 0) this.native.unref()
          resolve(woken)
        },
      }
      for (const id of ids) {
        const set = this.waiters.get(id) ?? new Set<Waiter>()
        set.add(waiter)
        this.waiters.set(id, set)
      }
      if (this.holds++ === 0) this.native.ref()
      if (timeoutMs !== undefined) timer = setTimeout(() => waiter.settle(false), Math.max(0, timeoutMs))
    })
  }

  private dispatch(): void {
    for (const id of this.native.drain()) {
      for (const waiter of [...(this.waiters.get(id) ?? [])]) waiter.settle(true)
    }
  }
}

export const pump = new Pump()

/** The time left until `deadline` (ms since the epoch), or undefined for no deadline. */
export function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - Date.now())
}

/** A deadline `timeoutMs` from now; none for 0 (POSIX: a zero timeout means none). */
export function deadlineAfter(timeoutMs: number): number | undefined {
  return timeoutMs > 0 ? Date.now() + timeoutMs : undefined
}

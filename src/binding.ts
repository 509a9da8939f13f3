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

/** Runs a native call, turning its errors into Poco exception classes. */
export function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw fromNative(error)
  }
}

/**
 * Resolves JS waiters when the runtime reports their handle ready. One native pump serves
 * every socket and server of this JS environment: the runtime calls it once per batch.
 * The event loop is kept alive only while something waits.
 */
class Pump {
  private readonly waiters = new Map<number, Array<() => void>>()
  private holds = 0
  readonly native = new native.NativePump(() => this.dispatch())

  /** Resolves on the next report for handle `id` (the caller re-checks and re-arms). */
  wait(id: number): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id)
      if (list) list.push(resolve)
      else this.waiters.set(id, [resolve])
      if (this.holds++ === 0) this.native.ref()
    })
  }

  private dispatch(): void {
    for (const id of this.native.drain()) {
      const list = this.waiters.get(id)
      if (!list) continue
      this.waiters.delete(id)
      for (const resolve of list) {
        if (--this.holds === 0) this.native.unref()
        resolve()
      }
    }
  }
}

export const pump = new Pump()

import { call, native } from './binding'
import type * as Native from '../native/index'

/**
 * ws's `perMessageDeflate` object (RFC 7692). Compression runs in Rust on the runtime threads,
 * never in Node's zlib; see the README for what each field does on either side.
 */
export interface PerMessageDeflateOptions {
  /** Client: offer it. Server: always reset the compressor (true), or decline offers asking for it (false). */
  serverNoContextTakeover?: boolean
  /** Client: offer it (false: refuse a server imposing it). Server: always impose it. */
  clientNoContextTakeover?: boolean
  /** 8–15: the server's window limit to offer (client) or impose (server); false: refused. */
  serverMaxWindowBits?: boolean | number
  /** 8–15: the client's window; true or absent: offered without a value (client); false: left out. */
  clientMaxWindowBits?: boolean | number
  /** Messages below this many bytes are sent uncompressed while context takeover is off. Default 1024. */
  threshold?: number
  /** Accepted for ws compatibility; compression is not queued behind a zlib pool here, so it has no effect. */
  concurrencyLimit?: number
  /** zlib settings of the compressor: `level` (0–9, default 6) and `memLevel` (1–9, default 8) are used. */
  zlibDeflateOptions?: { level?: number; memLevel?: number }
  /** Accepted for ws compatibility; the inflater always has a 15-bit window, which accepts every smaller one. */
  zlibInflateOptions?: object
  /**
   * Server only, uWS's `SHARED_COMPRESSOR`: one compressor per runtime thread for every socket,
   * reset after each message (so `server_no_context_takeover` is always answered): far less
   * memory per connection, a little less compression.
   */
  sharedCompressor?: boolean
}

/** The `perMessageDeflate` option: off, ws's defaults, or ws's object. */
export type PerMessageDeflate = boolean | PerMessageDeflateOptions

function windowBits(value: boolean | number | undefined, name: string): number {
  if (value === undefined || value === true) return 0
  if (value === false) return -1
  if (!Number.isInteger(value) || value < 8 || value > 15) {
    throw new RangeError(`Invalid value for parameter "${name}": ${value} (8 to 15, true or false)`)
  }
  return value
}

/** @internal The native form of `option` (undefined: off), checked by the core. */
export function deflateConfig(option: PerMessageDeflate | undefined): Native.DeflateConfig | undefined {
  if (option === undefined || option === false) return undefined
  const options: PerMessageDeflateOptions = option === true ? {} : option
  const config: Native.DeflateConfig = {
    serverNoContextTakeover: options.serverNoContextTakeover,
    clientNoContextTakeover: options.clientNoContextTakeover,
    serverMaxWindowBits: windowBits(options.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: windowBits(options.clientMaxWindowBits, 'clientMaxWindowBits'),
    threshold: options.threshold,
    level: options.zlibDeflateOptions?.level,
    memLevel: options.zlibDeflateOptions?.memLevel,
    sharedCompressor: options.sharedCompressor,
  }
  call(() => native.checkDeflateConfig(config))
  return config
}

import { call, native, pump } from './binding'
import type * as Native from '../native/index'

/** Options of `publish` (uWS's and Bun's). */
export interface PublishOptions {
  /** Send as a binary message. Default: binary unless `data` is a string. */
  binary?: boolean
  /**
   * Compress for the subscribers that negotiated permessage-deflate (default false, as uWS and
   * Bun). Compressed once for all that reset their context per message (`serverNoContextTakeover`
   * or `sharedCompressor`), by each socket's own compressor otherwise; never on the JS thread.
   */
  compress?: boolean
}

/** What can be published: as for `send`. */
export type PublishData = string | number | Uint8Array | ArrayBuffer | ArrayBufferView

/**
 * One WebSocketServer's topics, kept in Rust: a publish is one native call that encodes the frame
 * once and appends it to every subscriber's write buffer.
 */
export class Topics {
  /** @internal */
  readonly native: Native.NativeTopics = new native.NativeTopics()

  /** Sends to every subscriber of `topic` but socket `except`; true when at least one got it. */
  publish(topic: string, data: PublishData, options: PublishOptions = {}, except?: number): boolean {
    if (typeof data === 'number') data = String(data)
    const binary = options.binary ?? typeof data !== 'string'
    // Sends made before this publish go first: the outbox hands them over now.
    pump.outbox.flush()
    return call(() => this.native.publish(String(topic), bytesOf(data), binary, except, options.compress === true)).delivered > 0
  }
}

function bytesOf(data: Exclude<PublishData, number>): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data)
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

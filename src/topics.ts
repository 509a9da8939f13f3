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

/** Where a WebSocketServer's Redis adapter connects (the `redis` option). */
export interface RedisOptions {
  /** `redis://[user:password@]host[:port][/db]`. */
  url: string
  /** Channels are this prefix followed by the topic name. Default {@link REDIS_PREFIX}. */
  prefix?: string
}

/** The state a `'redis'` event reports: connected and subscribed, or unreachable. */
export type RedisState = 'up' | 'down'

/** The Redis adapter's counters since the server started (`wss.redisStats`). */
export interface RedisStats {
  /** This server's id on Redis (random per server): a node skips its own messages. */
  nodeId: string
  /** Publishes Redis accepted. */
  sent: number
  /** Publishes the other nodes missed: Redis was down, or the queue to it was full. */
  lost: number
  /** Messages of other nodes delivered to this server's subscribers. */
  received: number
  /** Messages on the prefix's channels that no node wrote, ignored. */
  malformed: number
}

/** The default channel prefix of the Redis adapter. */
export const REDIS_PREFIX: string = native.REDIS_PREFIX
/** The largest message a publish through Redis may carry, in bytes (over it `publish` throws). */
export const MAX_REDIS_PAYLOAD: number = native.MAX_REDIS_PAYLOAD

/**
 * One WebSocketServer's topics, kept in Rust: a publish is one native call that encodes the frame
 * once and appends it to every subscriber's write buffer (and, with Redis, queues it for the
 * other nodes).
 */
export class Topics {
  /** @internal */
  readonly native: Native.NativeTopics = new native.NativeTopics()
  private redis: Native.NativeRedis | null = null

  /** @internal Publishes through Redis from now on; `onState` hears of each change. */
  useRedis(options: string | RedisOptions, onState: (state: RedisState, cause?: Error) => void): void {
    const { url, prefix = REDIS_PREFIX } = typeof options === 'string' ? { url: options } : options
    this.redis = call(() => new native.NativeRedis(this.native, String(url), String(prefix), (state, cause) => {
      onState(state as RedisState, cause == null ? undefined : new Error(`Redis: ${cause}`))
    }))
  }

  /** @internal The Redis adapter's counters, or null without one. */
  redisStats(): RedisStats | null {
    return this.redis && { nodeId: this.redis.nodeId, ...this.redis.stats() }
  }

  /** @internal Stops the Redis adapter: its connections close; later publishes reach only this server's subscribers. */
  close(): void {
    this.redis?.close()
  }

  /**
   * Sends to every subscriber of `topic` but socket `except`; true when there is one (uWS's
   * answer). A small message goes out with the sends made after it, at the latest at the end of
   * the current callback batch (or microtask), in one write per subscriber for all of a topic's.
   */
  publish(topic: string, data: PublishData, options: PublishOptions = {}, except?: number): boolean {
    if (typeof data === 'number') data = String(data)
    const binary = options.binary ?? typeof data !== 'string'
    // Sends made before this publish go first: the outbox hands them over now.
    pump.outbox.flushSends()
    const compress = options.compress === true
    const audience = call(() => (this.redis ?? this.native).publish(String(topic), bytesOf(data), binary, except, compress))
    pump.outbox.published()
    return audience > 0
  }
}

function bytesOf(data: Exclude<PublishData, number>): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data)
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

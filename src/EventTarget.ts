// The WHATWG-style listener surface ws puts on its WebSocket (addEventListener, onopen, ...),
// over the EventEmitter events. Event objects have ws's shapes, with read-only enumerable fields.
import type { EventEmitter } from 'node:events'

/** Where the dispatcher puts the socket: a symbol key, so events have no own enumerable fields (as ws's). */
const TARGET = Symbol('target')

/** An `open` event (and the base of the others): its `type` and the socket as `target`. */
export class Event {
  #type: string
  /** @internal Set when dispatched. */
  [TARGET]: unknown = null

  constructor(type: string) {
    this.#type = type
  }

  /** The socket the event came from. */
  get target(): unknown {
    return this[TARGET]
  }

  /** The event's name ('open', 'message', 'close', 'error'). */
  get type(): string {
    return this.#type
  }
}

/** A `message` event: text as a string, binary in the socket's `binaryType`. */
export class MessageEvent extends Event {
  #data: unknown
  constructor(type: string, options: { data?: unknown } = {}) {
    super(type)
    this.#data = options.data === undefined ? null : options.data
  }
  /** The message: a string for text, binary data in the socket's `binaryType`. */
  get data(): unknown {
    return this.#data
  }
}

/** A `close` event: the close code and reason, and whether both CLOSE frames were exchanged. */
export class CloseEvent extends Event {
  #code: number
  #reason: string
  #wasClean: boolean
  constructor(type: string, options: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type)
    this.#code = options.code ?? 0
    this.#reason = options.reason ?? ''
    this.#wasClean = options.wasClean ?? false
  }
  /** The close code (1005 when the CLOSE had none, 1006 when there was none). */
  get code(): number {
    return this.#code
  }
  /** The close reason. */
  get reason(): string {
    return this.#reason
  }
  /** Whether the close handshake completed (both CLOSE frames). */
  get wasClean(): boolean {
    return this.#wasClean
  }
}

/** An `error` event: the error and its message. */
export class ErrorEvent extends Event {
  #error: unknown
  #message: string
  constructor(type: string, options: { error?: unknown; message?: string } = {}) {
    super(type)
    this.#error = options.error === undefined ? null : options.error
    this.#message = options.message ?? ''
  }
  /** The error that occurred. */
  get error(): unknown {
    return this.#error
  }
  /** The error's message. */
  get message(): string {
    return this.#message
  }
}

// ws makes these accessors enumerable (class accessors are not by default).
for (const [proto, names] of [
  [Event.prototype, ['target', 'type']],
  [MessageEvent.prototype, ['data']],
  [CloseEvent.prototype, ['code', 'reason', 'wasClean']],
  [ErrorEvent.prototype, ['error', 'message']],
] as const) {
  for (const name of names) Object.defineProperty(proto, name, { enumerable: true })
}

/** A listener: a function called with the socket as `this`, or an object with `handleEvent`. */
export type EventListener<E extends Event = Event> =
  | ((this: unknown, event: E) => void)
  | {
      /** Called with the event. */
      handleEvent(event: E): void
    }

/** Marks the wrapper of an `on<type>` attribute, and links a wrapper to the listener it calls. */
const ATTRIBUTE = Symbol('attribute')
const LISTENER = Symbol('listener')

type Wrapper = ((...args: unknown[]) => void) & { [ATTRIBUTE]?: boolean; [LISTENER]?: unknown }

/** What the event objects need from the socket. */
export interface EventSource extends EventEmitter {
  /** Whether the close handshake completed (for CloseEvent.wasClean). */
  readonly _wasClean: boolean
}

/** The event object for `type` from the EventEmitter arguments, or null for types ws ignores. */
function makeEvent(source: EventSource, type: string, args: unknown[]): Event | null {
  switch (type) {
    case 'message': {
      const [data, isBinary] = args as [Buffer, boolean]
      return new MessageEvent('message', { data: isBinary ? data : data.toString() })
    }
    case 'close': {
      const [code, reason] = args as [number, Buffer]
      return new CloseEvent('close', { code, reason: reason.toString(), wasClean: source._wasClean })
    }
    case 'error': {
      const error = args[0] as { message?: string } | undefined
      return new ErrorEvent('error', { error, message: error?.message })
    }
    case 'open':
      return new Event('open')
    default:
      return null
  }
}

const EVENT_TYPES = new Set(['open', 'message', 'close', 'error'])

function addListener(source: EventSource, type: string, listener: unknown, once: boolean, attribute: boolean): void {
  if (!EVENT_TYPES.has(type)) return
  // As with the DOM, adding the same listener twice adds it once (attributes aside).
  if (!attribute && source.listeners(type).some((l) => (l as Wrapper)[LISTENER] === listener && !(l as Wrapper)[ATTRIBUTE])) return
  const wrapper: Wrapper = function (this: EventSource, ...args: unknown[]) {
    const event = makeEvent(this, type, args)!
    event[TARGET] = this
    if (typeof listener === 'object' && listener !== null && 'handleEvent' in listener) {
      ;(listener as { handleEvent(event: Event): void }).handleEvent(event)
    } else (listener as (this: unknown, event: Event) => void).call(this, event)
  }
  wrapper[ATTRIBUTE] = attribute
  wrapper[LISTENER] = listener
  if (once) source.once(type, wrapper)
  else source.on(type, wrapper)
}

/** `addEventListener(type, listener, { once })`: only 'open', 'message', 'close' and 'error', as ws. */
export function addEventListener(this: EventSource, type: string, listener: EventListener, options: { once?: boolean } = {}): void {
  addListener(this, type, listener, !!options.once, false)
}

/** Removes a listener added with `addEventListener` (not an `on<type>` attribute). */
export function removeEventListener(this: EventSource, type: string, listener: EventListener): void {
  for (const l of this.listeners(type) as Wrapper[]) {
    if (l[LISTENER] === listener && !l[ATTRIBUTE]) {
      this.removeListener(type, l)
      return
    }
  }
}

/**
 * Puts `addEventListener`, `removeEventListener` and enumerable `onopen`, `onmessage`,
 * `onclose`, `onerror` accessors on `proto`: setting one replaces the previous attribute
 * listener, a non-function just removes it.
 */
export function defineEventTarget(proto: object): void {
  Object.defineProperty(proto, 'addEventListener', { value: addEventListener, writable: true, configurable: true })
  Object.defineProperty(proto, 'removeEventListener', { value: removeEventListener, writable: true, configurable: true })
  for (const type of EVENT_TYPES) {
    Object.defineProperty(proto, `on${type}`, {
      enumerable: true,
      configurable: true,
      get(this: EventSource) {
        for (const l of this.listeners(type) as Wrapper[]) if (l[ATTRIBUTE]) return l[LISTENER]
        return null
      },
      set(this: EventSource, handler: unknown) {
        for (const l of this.listeners(type) as Wrapper[]) {
          if (l[ATTRIBUTE]) {
            this.removeListener(type, l)
            break
          }
        }
        if (typeof handler === 'function') addListener(this, type, handler, false, true)
      },
    })
  }
}

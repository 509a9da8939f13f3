import { networkInterfaces } from 'node:os'

import { SocketFlag as Flag } from '../native/index'
import { call, native, pump, remaining, socketState, type NativeWebSocket } from './binding'
import { FrameReceiver } from './FrameReceiver'
import { SelectMode } from './enums'
import { InvalidArgumentException, InvalidSocketException } from './exceptions'
import { SocketAddress } from './SocketAddress'

/** Poco's `getLinger(bool& on, int& seconds)`. */
export interface Linger {
  /** Whether SO_LINGER is on. */
  on: boolean
  /** The linger time in seconds. */
  seconds: number
}

/** This OS's numbers for `setOption`/`getOption`: SOL_SOCKET, IPPROTO_TCP, SO_KEEPALIVE, TCP_NODELAY, … */
export const SocketOptions: Readonly<Record<string, number>> = Object.freeze(native.socketOptionConstants())


const READ_OR_ERROR = SelectMode.SELECT_READ | SelectMode.SELECT_ERROR

/**
 * Poco's `Socket`: a handle. Copies made with `WebSocket.from` share one native socket, and
 * compare equal. Options act on the OS socket; timeouts are in milliseconds.
 */
export class Socket {
  /** @internal */
  protected readonly _impl: NativeWebSocket | null

  /** A socket with no connection behind it (Poco's default-constructed `Socket`). */
  constructor()
  /** @internal */
  constructor(impl: NativeWebSocket | null)
  constructor(impl: NativeWebSocket | null = null) {
    this._impl = impl
  }

  /**
   * Poco's `Socket::select`: waits up to `timeoutMs` until one of the sockets is ready, then
   * leaves in each list only the ready ones and resolves to their total count (0 on timeout).
   */
  static async select(read: Socket[], write: Socket[], except: Socket[], timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs
    const wanted: Array<[Socket[], SelectMode]> = [
      [read, SelectMode.SELECT_READ],
      [write, SelectMode.SELECT_WRITE],
      [except, SelectMode.SELECT_ERROR],
    ]
    for (;;) {
      const ready = wanted.map(([list, mode]) => list.filter((socket) => (socket.readiness() & mode) !== 0))
      const count = ready.reduce((sum, list) => sum + list.length, 0)
      const left = remaining(deadline)!
      if (count > 0 || left === 0) {
        wanted.forEach(([list], i) => list.splice(0, list.length, ...ready[i]))
        return count
      }
      const ids = new Set<number>()
      for (const [list, mode] of wanted) for (const socket of list) ids.add(socket.arm(mode))
      await pump.waitAny([...ids], left)
    }
  }

  /** Always true: IPv4 is always available. */
  static supportsIPv4(): boolean {
    return true
  }

  /** True when this host has an IPv6 interface (the loopback ::1 counts). */
  static supportsIPv6(): boolean {
    return Object.values(networkInterfaces()).some((list) => list?.some((address) => address.family === 'IPv6'))
  }

  /** True when no connection stands behind this handle. */
  isNull(): boolean {
    return this._impl === null
  }

  /** Handles are equal when they share one connection. */
  equals(other: Socket): boolean {
    return this._impl === other._impl
  }

  /** Closes the connection without a CLOSE frame; frames already sent are still flushed. */
  close(): void {
    const impl = this._impl
    if (!impl) return
    impl.close()
    socketState(impl).closed = true
    // A pending receive is released; it then finds the socket closed.
    FrameReceiver.peek(impl)?.close()
  }

  /**
   * Poco's `poll`: resolves `true` as soon as the socket is ready for `mode` (SelectMode bits),
   * `false` after `timeoutMs`. Frames already received count as readable.
   */
  async poll(timeoutMs: number, mode: number): Promise<boolean> {
    this.open()
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if ((this.readiness() & mode) !== 0) return true
      const left = remaining(deadline)!
      if (left === 0) return false
      await pump.wait(this.arm(mode), left)
    }
  }

  /** Bytes received and not yet taken by a receive. */
  available(): number {
    const impl = this.open()
    return impl.available() + (FrameReceiver.peek(impl)?.queuedBytes() ?? 0)
  }

  /** SO_SNDBUF; also the high-water mark of this socket's write buffer. */
  setSendBufferSize(size: number): void {
    const impl = this.open()
    call(() => impl.setSendBufferSize(checkSize(size)))
  }

  /** SO_SNDBUF as the OS reports it. */
  getSendBufferSize(): number {
    const impl = this.open()
    return call(() => impl.getSendBufferSize())
  }

  /** SO_RCVBUF. */
  setReceiveBufferSize(size: number): void {
    const impl = this.open()
    call(() => impl.setReceiveBufferSize(checkSize(size)))
  }

  /** SO_RCVBUF as the OS reports it. */
  getReceiveBufferSize(): number {
    const impl = this.open()
    return call(() => impl.getReceiveBufferSize())
  }

  /** How long a send may wait for the write buffer to drain (0: no limit). Default 60000. */
  setSendTimeout(milliseconds: number): void {
    this.open().setSendTimeout(checkTimeout(milliseconds))
  }

  /** The send timeout in milliseconds (0: no limit). */
  getSendTimeout(): number {
    return this.open().getSendTimeout()
  }

  /** How long a receive waits for a frame (0: no limit). Default 60000. */
  setReceiveTimeout(milliseconds: number): void {
    const impl = this.open()
    impl.setReceiveTimeout(checkTimeout(milliseconds))
    socketState(impl).receiveTimeout = impl.getReceiveTimeout()
  }

  /** The receive timeout in milliseconds (0: no limit). */
  getReceiveTimeout(): number {
    return socketState(this.open()).receiveTimeout
  }

  /** SO_LINGER. */
  setLinger(on: boolean, seconds: number): void {
    const impl = this.open()
    call(() => impl.setLinger(on, checkSize(seconds)))
  }

  /** SO_LINGER: `{ on, seconds }`. */
  getLinger(): Linger {
    const impl = this.open()
    const seconds = call(() => impl.getLinger())
    return seconds < 0 ? { on: false, seconds: 0 } : { on: true, seconds }
  }

  /** TCP_NODELAY (on by default, as in Poco 1.15). */
  setNoDelay(flag: boolean): void {
    this.setFlag(Flag.NoDelay, flag)
  }

  /** TCP_NODELAY, read back from the OS socket. */
  getNoDelay(): boolean {
    return this.getFlag(Flag.NoDelay)
  }

  /** SO_KEEPALIVE. */
  setKeepAlive(flag: boolean): void {
    this.setFlag(Flag.KeepAlive, flag)
  }

  /** SO_KEEPALIVE, read back from the OS socket. */
  getKeepAlive(): boolean {
    return this.getFlag(Flag.KeepAlive)
  }

  /** SO_REUSEADDR. */
  setReuseAddress(flag: boolean): void {
    this.setFlag(Flag.ReuseAddress, flag)
  }

  /** SO_REUSEADDR, read back from the OS socket. */
  getReuseAddress(): boolean {
    return this.getFlag(Flag.ReuseAddress)
  }

  /** SO_REUSEPORT. */
  setReusePort(flag: boolean): void {
    this.setFlag(Flag.ReusePort, flag)
  }

  /** SO_REUSEPORT, read back from the OS socket. */
  getReusePort(): boolean {
    return this.getFlag(Flag.ReusePort)
  }

  /** SO_OOBINLINE. */
  setOOBInline(flag: boolean): void {
    this.setFlag(Flag.OobInline, flag)
  }

  /** SO_OOBINLINE, read back from the OS socket. */
  getOOBInline(): boolean {
    return this.getFlag(Flag.OobInline)
  }

  /**
   * Blocking (the default): receives wait for a frame and sends for the write buffer.
   * Non-blocking: they resolve to -1 at once instead (Poco 1.14's contract).
   */
  setBlocking(flag: boolean): void {
    const impl = this.open()
    impl.setBlocking(flag)
    socketState(impl).blocking = impl.getBlocking()
  }

  /** False after `setBlocking(false)`: calls then return -1 at once instead of waiting. */
  getBlocking(): boolean {
    return socketState(this.open()).blocking
  }

  /** An integer option by level and name: `setOption(SocketOptions.SOL_SOCKET, SocketOptions.SO_KEEPALIVE, 1)`. */
  setOption(level: number, option: number, value: number): void {
    const impl = this.open()
    for (const n of [level, option, value]) if (!Number.isInteger(n)) throw new InvalidArgumentException('setOption takes integers')
    call(() => impl.setOption(level, option, value))
  }

  /** An integer option by level and name, as the OS reports it. */
  getOption(level: number, option: number): number {
    const impl = this.open()
    return call(() => impl.getOption(level, option))
  }

  /** The local address. */
  address(): SocketAddress {
    const impl = this.open()
    return new SocketAddress(call(() => impl.localAddress()))
  }

  /** The peer's address. */
  peerAddress(): SocketAddress {
    const impl = this.open()
    return new SocketAddress(call(() => impl.peerAddress()))
  }

  /** True for TLS connections (wss). */
  secure(): boolean {
    return this.open().secure()
  }

  /** TCP half-close: no more data is received. */
  shutdownReceive(): void {
    const impl = this.open()
    call(() => impl.shutdownReceive())
  }

  /** TCP half-close: frames already sent are flushed, then FIN; later sends fail. */
  shutdownSend(): void {
    const impl = this.open()
    call(() => impl.shutdownSend())
  }

  /** @internal The open native socket, or InvalidSocketException. */
  protected open(): NativeWebSocket {
    const impl = this._impl
    if (impl === null || socketState(impl).closed) throw new InvalidSocketException()
    return impl
  }

  /** @internal SelectMode bits that hold now: frames already handed to JS count as readable. */
  protected readiness(): number {
    const impl = this.open()
    const receiver = FrameReceiver.peek(impl)
    const handedOver = receiver && (receiver.front() || receiver.end()) ? SelectMode.SELECT_READ : 0
    return impl.readiness() | handedOver
  }

  /** @internal Arms the wake-ups `mode` needs; returns the id the pump reports. */
  protected arm(mode: number): number {
    const impl = this.open()
    if (mode & READ_OR_ERROR) impl.armRead()
    if (mode & SelectMode.SELECT_WRITE) impl.armWrite()
    return impl.id
  }

  /** @internal Waits until the write buffer is under its high-water mark; false when `deadline` passed. */
  protected async waitWritable(impl: NativeWebSocket, deadline: number | undefined): Promise<boolean> {
    while (!impl.armWrite()) {
      if (deadline !== undefined && remaining(deadline) === 0) return false
      if (!(await pump.wait(impl.id, remaining(deadline)))) return false
    }
    return true
  }

  private setFlag(flag: Flag, on: boolean): void {
    const impl = this.open()
    call(() => impl.setFlag(flag, Boolean(on)))
  }

  private getFlag(flag: Flag): boolean {
    const impl = this.open()
    return call(() => impl.getFlag(flag))
  }
}

/** Poco's `StreamSocket`. */
export class StreamSocket extends Socket {}


function checkSize(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new InvalidArgumentException('expected a non-negative integer', String(n))
  return n
}

function checkTimeout(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidArgumentException('expected a timeout in milliseconds', String(ms))
  return Math.floor(ms)
}

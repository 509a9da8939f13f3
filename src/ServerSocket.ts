import { call, native, type NativeBindConfig, type NativeListener } from './binding'
import { InvalidAccessException, InvalidArgumentException } from './exceptions'
import { SocketAddress } from './SocketAddress'

/**
 * Poco's `ServerSocket`: a TCP socket listening for connections, for `HTTPServer`. As in Poco
 * the constructors bind and listen at once, synchronously: `new ServerSocket(0).address().port()`
 * is the port the OS chose, and a busy port throws `NetException` ("Address already in use")
 * there and then. `HTTPServer.start()` takes the OS socket over and accepts on it; from then on
 * the server owns it (its `stop()` closes it) and this object still reports `address()`.
 */
export class ServerSocket {
  /** @internal The native socket, taken over by `HTTPServer.start()`. */
  readonly _native: NativeListener = new native.NativeListener()

  /** Poco's `ServerSocket()`: no OS socket until `bind()` or `bind6()`; then `listen()`. */
  constructor()
  /**
   * Poco's `ServerSocket(port, backlog = 64)`: listens on every IPv4 interface (0.0.0.0). Port 0
   * picks a free port. SO_REUSEADDR is set (as in Poco; not on Windows, where it would let
   * another socket take the port), SO_REUSEPORT is not.
   */
  constructor(port: number, backlog?: number)
  /** Poco's `ServerSocket(address, backlog = 64)`: `"127.0.0.1:0"`, `"[::1]:8080"` or a `SocketAddress`. */
  constructor(address: SocketAddress | string, backlog?: number)
  constructor(address?: SocketAddress | string | number, backlog?: number) {
    if (address === undefined) return
    checkBacklog(backlog)
    this.bindTo(listenAddress(address), {})
    this.listen(backlog)
  }

  /**
   * Poco's `bind(address, reuseAddress = false, reusePort = false)`; a port alone means every
   * IPv4 interface. Where the OS has no SO_REUSEPORT, `reusePort` throws `IOException`.
   */
  bind(address: SocketAddress | string | number, reuseAddress = false, reusePort = false): void {
    this.bindTo(listenAddress(address), { reuseAddress: Boolean(reuseAddress), reusePort: Boolean(reusePort) })
  }

  /**
   * Poco's `bind6(address, reuseAddress = false, ipV6Only = false)` for an IPv6 address (a port
   * alone means every IPv6 interface, `::`). IPV6_V6ONLY is set to `ipV6Only`: when false, IPv4
   * clients reach the socket too. An IPv4 address throws `InvalidArgumentException`.
   */
  bind6(address: SocketAddress | string | number, reuseAddress?: boolean, ipV6Only?: boolean): void
  /** Poco's `bind6(address, reuseAddress, reusePort, ipV6Only)`. */
  bind6(address: SocketAddress | string | number, reuseAddress: boolean, reusePort: boolean, ipV6Only: boolean): void
  bind6(address: SocketAddress | string | number, reuseAddress = false, third = false, fourth?: boolean): void {
    const [reusePort, ipV6Only] = fourth === undefined ? [false, third] : [third, fourth]
    this.bindTo(listenAddress(address, '::'), {
      reuseAddress: Boolean(reuseAddress),
      reusePort: Boolean(reusePort),
      ipv6Only: Boolean(ipV6Only),
    })
  }

  /** Poco's `listen(backlog = 64)`: connections queue from now on, up to `backlog` (as the OS rounds it). */
  listen(backlog?: number): void {
    checkBacklog(backlog)
    call(() => this._native.listen(backlog))
  }

  /** The bound address, with the port the OS chose for port 0. */
  address(): SocketAddress {
    return new SocketAddress(call(() => this._native.localAddress()))
  }

  /** Closes the OS socket; `bind()` may follow. One an `HTTPServer` took over is closed by the server's `stop()`. */
  close(): void {
    this._native.close()
  }

  /** SO_REUSEADDR. */
  setReuseAddress(flag: boolean): void {
    call(() => this._native.setReuseAddress(Boolean(flag)))
  }

  /** SO_REUSEADDR, read back from the OS socket. */
  getReuseAddress(): boolean {
    return call(() => this._native.reuseAddress())
  }

  /** SO_REUSEPORT; turning it on throws `IOException` where the OS has no such option. */
  setReusePort(flag: boolean): void {
    call(() => this._native.setReusePort(Boolean(flag)))
  }

  /** SO_REUSEPORT, read back from the OS socket (false where the OS has no such option). */
  getReusePort(): boolean {
    return call(() => this._native.reusePort())
  }

  /** False: connections accepted on this socket are plain TCP (see `SecureServerSocket`). */
  secure(): boolean {
    return false
  }

  /**
   * Not available: connections are accepted by the `HTTPServer` the socket is given to (this
   * port has no raw TCP `StreamSocket` to hand out). Throws `InvalidAccessException`.
   */
  acceptConnection(..._args: unknown[]): never {
    throw new InvalidAccessException('acceptConnection() is not available: give the ServerSocket to an HTTPServer, which accepts its connections')
  }

  private bindTo(address: SocketAddress, config: NativeBindConfig): void {
    call(() => this._native.bind(address.host(), address.port(), config))
  }
}

/** @internal The address a port alone (every interface of the family of `wildcard`), a `"host:port"` or a `SocketAddress` names. */
export function listenAddress(address: SocketAddress | string | number, wildcard = '0.0.0.0'): SocketAddress {
  if (address instanceof SocketAddress) return address
  return typeof address === 'number' ? new SocketAddress(wildcard, address) : new SocketAddress(address)
}

function checkBacklog(backlog: number | undefined): void {
  if (backlog !== undefined && !(Number.isInteger(backlog) && backlog >= 0 && backlog <= 0x7fffffff)) {
    throw new InvalidArgumentException('Invalid backlog', String(backlog))
  }
}

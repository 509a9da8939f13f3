import { InvalidArgumentException } from './exceptions'

/** Poco's `SocketAddress`: an IP address (or host name) and a port. */
export class SocketAddress {
  private readonly _host: string
  private readonly _port: number

  /** `new SocketAddress("127.0.0.1", 80)`, or one string `"host:port"` / `"[::1]:port"`. */
  constructor(hostAndPort: string, port?: number) {
    let host = hostAndPort
    if (port === undefined) {
      const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(hostAndPort)
      if (!match) throw new InvalidArgumentException('Invalid socket address', hostAndPort)
      host = match[1] ?? match[2]
      port = Number(match[3])
    }
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidArgumentException('Invalid port number', String(port))
    }
    this._host = host
    this._port = port
  }

  /** The IP address, e.g. `"127.0.0.1"` or `"::1"`. */
  host(): string {
    return this._host
  }

  /** The port number. */
  port(): number {
    return this._port
  }

  /** "IPv4" or "IPv6", from the form of the host. */
  family(): 'IPv4' | 'IPv6' {
    return this._host.includes(':') ? 'IPv6' : 'IPv4'
  }

  /** `"host:port"`, with the IPv6 address in brackets: `"[::1]:9980"`. */
  toString(): string {
    return this.family() === 'IPv6' ? `[${this._host}]:${this._port}` : `${this._host}:${this._port}`
  }
}

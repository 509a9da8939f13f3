import { native } from './binding'
import type { Context } from './Context'

/** The HTTP defaults, from the core's one table. */
const HTTP_DEFAULTS = native.httpDefaults()

/**
 * Poco's `HTTPClientSession::ProxyConfig`. Only Basic proxy authentication is supported
 * (`username` non-empty); `nonProxyHosts` is a regular expression for hosts reached directly.
 */
export interface ProxyConfig {
  /** The proxy's host name or address; empty for no proxy. */
  host: string
  /** The proxy's port (default 80). */
  port: number
  /** User name for Basic proxy authentication; empty for none. */
  username: string
  /** Password for Basic proxy authentication. */
  password: string
  /** Regular expression for hosts reached directly, matched against the whole host name, case-insensitively. */
  nonProxyHosts: string
}

const HTTP_PORT = 80

const noProxy = (): ProxyConfig => ({ host: '', port: HTTP_PORT, username: '', password: '', nonProxyHosts: '' })

/**
 * Poco's `HTTPClientSession`: where a client connects, and through which proxy.
 * `WebSocket.connect` opens the connection and takes it over, so a session serves one
 * WebSocket. With a proxy, ws:// and wss:// alike go through an HTTP CONNECT tunnel, as Poco's
 * `WebSocket` does.
 */
export class HTTPClientSession {
  /** The default HTTP port, 80. */
  static readonly HTTP_PORT = HTTP_PORT

  private static globalProxy: ProxyConfig = noProxy()

  private host: string
  private port: number
  private timeout?: number
  private proxy: ProxyConfig = { ...HTTPClientSession.globalProxy }

  constructor(host = '', port = HTTPClientSession.HTTP_PORT) {
    this.host = host
    this.port = port
  }

  /** The server's host name or address. */
  getHost(): string {
    return this.host
  }

  /** Sets the server's host name or address (before connecting). */
  setHost(host: string): void {
    this.host = host
  }

  /** The server's port. */
  getPort(): number {
    return this.port
  }

  /** Sets the server's port (before connecting). */
  setPort(port: number): void {
    this.port = port
  }

  /** Deadline in milliseconds for connecting and for the server's answer (Poco's default 60 s). */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  /** The connect and response timeout in milliseconds. */
  getTimeout(): number {
    return this.timeout ?? HTTP_DEFAULTS.timeoutMs
  }

  /** @internal The timeout if one was set (otherwise the core's default applies). */
  _timeout(): number | undefined {
    return this.timeout
  }

  /** True for `HTTPSClientSession`. */
  secure(): boolean {
    return false
  }

  /** Tunnel through the HTTP proxy at `host:port` (CONNECT). An empty host means no proxy. */
  setProxy(host: string, port = HTTPClientSession.HTTP_PORT): void {
    this.proxy.host = host
    this.proxy.port = port
  }

  /** Sets the proxy's host; an empty host means no proxy. */
  setProxyHost(host: string): void {
    this.proxy.host = host
  }

  /** Sets the proxy's port. */
  setProxyPort(port: number): void {
    this.proxy.port = port
  }

  /** The proxy's host; empty when no proxy is set. */
  getProxyHost(): string {
    return this.proxy.host
  }

  /** The proxy's port. */
  getProxyPort(): number {
    return this.proxy.port
  }

  /** Basic credentials sent to the proxy with the CONNECT (`Proxy-Authorization`). */
  setProxyCredentials(username: string, password: string): void {
    this.proxy.username = username
    this.proxy.password = password
  }

  /** Sets the user name for Basic proxy authentication (empty for none). */
  setProxyUsername(username: string): void {
    this.proxy.username = username
  }

  /** The user name for Basic proxy authentication. */
  getProxyUsername(): string {
    return this.proxy.username
  }

  /** Sets the password for Basic proxy authentication. */
  setProxyPassword(password: string): void {
    this.proxy.password = password
  }

  /** The password for Basic proxy authentication. */
  getProxyPassword(): string {
    return this.proxy.password
  }

  /** Replaces this session's whole proxy configuration; fields left out take their defaults (no proxy, port 80). */
  setProxyConfig(config: Partial<ProxyConfig>): void {
    this.proxy = { ...noProxy(), ...config }
  }

  /** A copy of this session's proxy configuration. */
  getProxyConfig(): ProxyConfig {
    return { ...this.proxy }
  }

  /** The proxy every session created afterwards starts with (Poco's `setGlobalProxyConfig`). */
  static setGlobalProxyConfig(config: Partial<ProxyConfig>): void {
    HTTPClientSession.globalProxy = { ...noProxy(), ...config }
  }

  /** A copy of the proxy configuration new sessions start with (Poco's `getGlobalProxyConfig`). */
  static getGlobalProxyConfig(): ProxyConfig {
    return { ...HTTPClientSession.globalProxy }
  }

  /** True when the host matches `nonProxyHosts` (whole name, case-insensitive), as in Poco. */
  bypassProxy(): boolean {
    const pattern = this.proxy.nonProxyHosts
    return pattern !== '' && new RegExp(`^(?:${pattern})$`, 'i').test(this.host)
  }

  /** @internal The TLS context of an HTTPS session. */
  _tlsContext(): Context | undefined {
    return undefined
  }

  /** @internal The proxy to tunnel through for this session's host, if any. */
  _activeProxy(): ProxyConfig | undefined {
    return this.proxy.host !== '' && !this.bypassProxy() ? this.proxy : undefined
  }
}

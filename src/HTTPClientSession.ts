/**
 * Poco's `HTTPClientSession`: where a client connects. `WebSocket.connect` opens the
 * connection and takes it over, so a session serves one WebSocket.
 */
export class HTTPClientSession {
  private host: string
  private port: number
  private timeout = 60_000

  constructor(host = '', port = 80) {
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
    return this.timeout
  }
}

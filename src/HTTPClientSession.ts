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

  getHost(): string {
    return this.host
  }

  setHost(host: string): void {
    this.host = host
  }

  getPort(): number {
    return this.port
  }

  setPort(port: number): void {
    this.port = port
  }

  /** Deadline in milliseconds for connecting and for the server's answer (Poco's default 60 s). */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  getTimeout(): number {
    return this.timeout
  }
}

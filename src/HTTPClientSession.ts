/**
 * Poco's `HTTPClientSession`: where a client connects. `WebSocket.connect` opens the
 * connection and takes it over, so a session serves one WebSocket.
 */
export class HTTPClientSession {
  private host: string
  private port: number

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
}

/** Poco's `HTTPServerParams`, as far as the server applies them. */
export class HTTPServerParams {
  private timeout = 60_000
  private keepAlive = true
  private serverName = ''

  /** Deadline in milliseconds for receiving a request and for an idle keep-alive connection. */
  setTimeout(milliseconds: number): void {
    this.timeout = milliseconds
  }

  getTimeout(): number {
    return this.timeout
  }

  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive
  }

  getKeepAlive(): boolean {
    return this.keepAlive
  }

  /** Sent as the `Server` field of every response when not empty. */
  setServerName(name: string): void {
    this.serverName = name
  }

  getServerName(): string {
    return this.serverName
  }
}

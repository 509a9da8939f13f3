/**
 * Poco's `HTTPCredentials`: a user name and password for answering a 401 challenge.
 */
export class HTTPCredentials {
  private username: string
  private password: string

  constructor(username = '', password = '') {
    this.username = username
    this.password = password
  }

  getUsername(): string {
    return this.username
  }

  setUsername(username: string): void {
    this.username = username
  }

  getPassword(): string {
    return this.password
  }

  setPassword(password: string): void {
    this.password = password
  }

  /** True when both the user name and the password are empty. */
  empty(): boolean {
    return this.username === '' && this.password === ''
  }

  clear(): void {
    this.username = ''
    this.password = ''
  }
}

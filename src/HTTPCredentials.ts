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

  /** The user name. */
  getUsername(): string {
    return this.username
  }

  /** Sets the user name. */
  setUsername(username: string): void {
    this.username = username
  }

  /** The password. */
  getPassword(): string {
    return this.password
  }

  /** Sets the password. */
  setPassword(password: string): void {
    this.password = password
  }

  /** True when both the user name and the password are empty. */
  empty(): boolean {
    return this.username === '' && this.password === ''
  }

  /** Empties the user name and the password. */
  clear(): void {
    this.username = ''
    this.password = ''
  }
}

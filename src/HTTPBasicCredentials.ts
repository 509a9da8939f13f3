import { NotAuthenticatedException } from './exceptions'
import { HTTPCredentials } from './HTTPCredentials'
import type { HTTPRequest } from './HTTPRequest'

/**
 * Poco's `HTTPBasicCredentials` (RFC 7617); here a kind of `HTTPCredentials`, so it can also be
 * passed to `WebSocket.connect`. On the server, `new HTTPBasicCredentials(request)`
 * reads the client's credentials; on the client, `authenticate(request)` adds them.
 */
export class HTTPBasicCredentials extends HTTPCredentials {
  /** The authentication scheme, `"Basic"`. */
  static readonly SCHEME = 'Basic'

  constructor()
  constructor(username: string, password: string)
  /** From a request's `Authorization: Basic …` field; NotAuthenticatedException when absent or another scheme. */
  constructor(request: HTTPRequest)
  /** From the base64 part of a Basic `Authorization` field. */
  constructor(authInfo: string)
  constructor(first?: string | HTTPRequest, password?: string) {
    super()
    if (typeof first === 'string' && password !== undefined) {
      this.setUsername(first)
      this.setPassword(password)
    } else if (typeof first === 'string') {
      this.parseAuthInfo(first)
    } else if (first !== undefined) {
      const authorization = first.get('Authorization', '')
      if (authorization === '') throw new NotAuthenticatedException()
      const [scheme, authInfo = ''] = authorization.trim().split(/\s+/, 2)
      if (scheme.toLowerCase() !== HTTPBasicCredentials.SCHEME.toLowerCase()) {
        throw new NotAuthenticatedException('Basic authentication expected')
      }
      this.parseAuthInfo(authInfo)
    }
  }

  /** Adds `Authorization: Basic base64(user:password)` to `request`. */
  authenticate(request: HTTPRequest): void {
    const token = Buffer.from(`${this.getUsername()}:${this.getPassword()}`, 'utf8').toString('base64')
    request.set('Authorization', `${HTTPBasicCredentials.SCHEME} ${token}`)
  }

  private parseAuthInfo(authInfo: string): void {
    const decoded = Buffer.from(authInfo, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    this.setUsername(colon < 0 ? decoded : decoded.slice(0, colon))
    this.setPassword(colon < 0 ? '' : decoded.slice(colon + 1))
  }
}

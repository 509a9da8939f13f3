/**
 * Poco's exception hierarchy. Each class carries Poco's `name()` as `name`, a numeric `code`,
 * Poco's message as `message`, and `displayText()` ("name: message").
 */
export class Exception extends Error {
  /** Poco's `name()` for the class. */
  static readonly pocoName: string = 'Exception'
  /** A numeric code: {@link ErrorCodes} for a WebSocketException, the OS error number for socket errors, else 0. */
  readonly code: number

  /** Poco's `Exception(msg, code)` and `Exception(msg, arg, code)`: the message becomes "msg: arg". */
  constructor(message = '', argOrCode?: string | number, code = 0) {
    const arg = typeof argOrCode === 'string' ? argOrCode : ''
    super(arg ? `${message}: ${arg}` : message)
    this.code = typeof argOrCode === 'number' ? argOrCode : code
    this.name = (new.target as typeof Exception).pocoName
    Error.captureStackTrace?.(this, new.target)
  }

  /** Poco's `displayText()`. */
  displayText(): string {
    return this.message ? `${this.name}: ${this.message}` : this.name
  }
}

export class LogicException extends Exception {
  static override readonly pocoName: string = 'Logic exception'
}
export class AssertionViolationException extends LogicException {
  static override readonly pocoName: string = 'Assertion violation'
}
export class InvalidArgumentException extends LogicException {
  static override readonly pocoName: string = 'Invalid argument'
}
export class InvalidAccessException extends LogicException {
  static override readonly pocoName: string = 'Invalid access'
}
export class RuntimeException extends Exception {
  static override readonly pocoName: string = 'Runtime exception'
}
export class NotFoundException extends RuntimeException {
  static override readonly pocoName: string = 'Not found'
}
export class TimeoutException extends RuntimeException {
  static override readonly pocoName: string = 'Timeout'
}
export class IOException extends RuntimeException {
  static override readonly pocoName: string = 'I/O error'
}
export class NetException extends IOException {
  static override readonly pocoName: string = 'Net Exception'
}
export class WebSocketException extends NetException {
  static override readonly pocoName: string = 'WebSocket Exception'
  /** The close code sent to the peer when this error failed the connection (1002, 1007, 1009). */
  closeCode?: number
}
export class InvalidSocketException extends NetException {
  static override readonly pocoName: string = 'Invalid socket'
}
export class ConnectionResetException extends NetException {
  static override readonly pocoName: string = 'Connection reset by peer'
}
export class ConnectionAbortedException extends NetException {
  static override readonly pocoName: string = 'Software caused connection abort'
}
export class ConnectionRefusedException extends NetException {
  static override readonly pocoName: string = 'Connection refused'
}
export class DNSException extends NetException {
  static override readonly pocoName: string = 'DNS error'
}
export class HostNotFoundException extends DNSException {
  static override readonly pocoName: string = 'Host not found'
}
export class NoMessageException extends NetException {
  static override readonly pocoName: string = 'No message received'
}
export class MessageException extends NetException {
  static override readonly pocoName: string = 'Malformed message'
}
export class NotAuthenticatedException extends NetException {
  static override readonly pocoName: string = 'No authentication information found'
}
/** Poco's `HTTPException`; a proxy refusing CONNECT carries the HTTP status as `code`. */
export class HTTPException extends NetException {
  static override readonly pocoName: string = 'HTTP Exception'
}
/** Poco NetSSL's `SSLException`: a TLS handshake or record failure. */
export class SSLException extends NetException {
  static override readonly pocoName: string = 'SSL Exception'
}
/** A `Context` that cannot be built: unreadable file, bad PEM, key not matching the certificate. */
export class SSLContextException extends SSLException {
  static override readonly pocoName: string = 'SSL context exception'
}
/** The peer's certificate was not accepted; the message names the reason. */
export class CertificateValidationException extends SSLException {
  static override readonly pocoName: string = 'Certificate validation error'
}
/** The peer closed the connection during the TLS handshake. */
export class SSLConnectionUnexpectedlyClosedException extends SSLException {
  static override readonly pocoName: string = 'SSL connection unexpectedly closed'
}

/** The classes the native layer names in its errors. */
const nativeKinds: Record<string, new (message?: string, code?: number) => Exception> = {
  WebSocketException,
  TimeoutException,
  ConnectionResetException,
  ConnectionAbortedException,
  ConnectionRefusedException,
  HostNotFoundException,
  NoMessageException,
  MessageException,
  IOException,
  NetException,
  InvalidSocketException,
  InvalidArgumentException,
  InvalidAccessException,
  HTTPException,
  SSLException,
  SSLContextException,
  CertificateValidationException,
  SSLConnectionUnexpectedlyClosedException,
}

/**
 * Turns an error thrown by the native addon into its Poco exception class (the binding says
 * which, through `decodeError`).
 */
export function fromNative(error: unknown, decode: (code: string) => { kind: string; code: number; closeCode?: number } | null): unknown {
  if (!(error instanceof Error) || error instanceof Exception) return error
  const info = decode(String((error as { code?: unknown }).code ?? ''))
  const Kind = info ? nativeKinds[info.kind] : undefined
  if (!info || !Kind) return error
  const translated = new Kind(error.message, info.code)
  if (info.closeCode !== undefined && translated instanceof WebSocketException) translated.closeCode = info.closeCode
  return translated
}

import { native } from './binding'
import { HTTPMessage } from './HTTPMessage'

/** Poco's `HTTPResponse::HTTPStatus` (the common ones). */
export enum HTTPStatus {
  HTTP_CONTINUE = 100,
  HTTP_SWITCHING_PROTOCOLS = 101,
  HTTP_OK = 200,
  HTTP_CREATED = 201,
  HTTP_ACCEPTED = 202,
  HTTP_NO_CONTENT = 204,
  HTTP_MOVED_PERMANENTLY = 301,
  HTTP_FOUND = 302,
  HTTP_NOT_MODIFIED = 304,
  HTTP_BAD_REQUEST = 400,
  HTTP_UNAUTHORIZED = 401,
  HTTP_FORBIDDEN = 403,
  HTTP_NOT_FOUND = 404,
  HTTP_METHOD_NOT_ALLOWED = 405,
  HTTP_REQUEST_TIMEOUT = 408,
  HTTP_UPGRADE_REQUIRED = 426,
  HTTP_INTERNAL_SERVER_ERROR = 500,
  HTTP_NOT_IMPLEMENTED = 501,
  HTTP_SERVICE_UNAVAILABLE = 503,
}

/** The response head as the native layer hands it over. */
export interface ResponseHeadInfo {
  version: string
  status: number
  reason: string
  headers: string[]
}

/** Poco's `HTTPResponse`. */
export class HTTPResponse extends HTTPMessage {
  private status: number
  private reason: string

  constructor(status: number = HTTPStatus.HTTP_OK, reason?: string) {
    super(HTTPMessage.HTTP_1_0)
    this.status = status
    this.reason = reason ?? HTTPResponse.getReasonForStatus(status)
  }

  /** Poco's standard reason phrase for `status` ("???" when it has none). */
  static getReasonForStatus(status: number): string {
    return native.reasonFor(status)
  }

  getStatus(): number {
    return this.status
  }

  /** Sets the status and its standard reason phrase. */
  setStatus(status: number): void {
    this.setStatusAndReason(status)
  }

  getReason(): string {
    return this.reason
  }

  setReason(reason: string): void {
    this.reason = reason
  }

  setStatusAndReason(status: number, reason?: string): void {
    this.status = status
    this.reason = reason ?? HTTPResponse.getReasonForStatus(status)
  }

  /** @internal Fills this response from what the server sent. */
  assign(head: ResponseHeadInfo): void {
    this.setVersion(head.version)
    this.status = head.status
    this.reason = head.reason
    this.assignFlatList(head.headers)
  }
}

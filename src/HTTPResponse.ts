import { native } from './binding'
import { HTTPMessage } from './HTTPMessage'

/** Poco's `HTTPResponse::HTTPStatus` (the common ones). */
export enum HTTPStatus {
  /** 100 Continue. */
  HTTP_CONTINUE = 100,
  /** 101 Switching Protocols: the WebSocket upgrade. */
  HTTP_SWITCHING_PROTOCOLS = 101,
  /** 200 OK. */
  HTTP_OK = 200,
  /** 201 Created. */
  HTTP_CREATED = 201,
  /** 202 Accepted. */
  HTTP_ACCEPTED = 202,
  /** 204 No Content. */
  HTTP_NO_CONTENT = 204,
  /** 301 Moved Permanently. */
  HTTP_MOVED_PERMANENTLY = 301,
  /** 302 Found. */
  HTTP_FOUND = 302,
  /** 304 Not Modified. */
  HTTP_NOT_MODIFIED = 304,
  /** 400 Bad Request. */
  HTTP_BAD_REQUEST = 400,
  /** 401 Unauthorized. */
  HTTP_UNAUTHORIZED = 401,
  /** 403 Forbidden. */
  HTTP_FORBIDDEN = 403,
  /** 404 Not Found. */
  HTTP_NOT_FOUND = 404,
  /** 405 Method Not Allowed. */
  HTTP_METHOD_NOT_ALLOWED = 405,
  /** 408 Request Timeout. */
  HTTP_REQUEST_TIMEOUT = 408,
  /** 426 Upgrade Required. */
  HTTP_UPGRADE_REQUIRED = 426,
  /** 500 Internal Server Error. */
  HTTP_INTERNAL_SERVER_ERROR = 500,
  /** 501 Not Implemented. */
  HTTP_NOT_IMPLEMENTED = 501,
  /** 503 Service Unavailable. */
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

  /** The status code. */
  getStatus(): number {
    return this.status
  }

  /** Sets the status and its standard reason phrase. */
  setStatus(status: number): void {
    this.setStatusAndReason(status)
  }

  /** The reason phrase. */
  getReason(): string {
    return this.reason
  }

  /** Sets the reason phrase alone. */
  setReason(reason: string): void {
    this.reason = reason
  }

  /** Sets the status and the reason phrase (its standard one when omitted). */
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

import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'

/** Poco's `HTTPRequestHandler`. `handleRequest` may be async; a handler that throws gets a 500. */
export interface HTTPRequestHandler {
  /** Answers one request: upgrade it with `WebSocket.accept`, or fill in and send `response`. */
  handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): void | Promise<void>
}

/** Poco's `HTTPRequestHandlerFactory`: picks a handler for every request. */
export interface HTTPRequestHandlerFactory {
  /** Returns the handler for `request` (a new one per request, or a shared one). */
  createRequestHandler(request: HTTPServerRequest): HTTPRequestHandler
}

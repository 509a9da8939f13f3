import type { HTTPServerRequest } from './HTTPServerRequest'
import type { HTTPServerResponse } from './HTTPServerResponse'

/** Poco's `HTTPRequestHandler`. `handleRequest` may be async; a handler that throws gets a 500. */
export interface HTTPRequestHandler {
  handleRequest(request: HTTPServerRequest, response: HTTPServerResponse): void | Promise<void>
}

/** Poco's `HTTPRequestHandlerFactory`: picks a handler for every request. */
export interface HTTPRequestHandlerFactory {
  createRequestHandler(request: HTTPServerRequest): HTTPRequestHandler
}

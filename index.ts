/**
 * poco-websocket: Poco's `Poco::Net::WebSocket` (RFC 6455, client and server) for Node.js,
 * with a Rust core.
 */
export * from './src/enums'
export * from './src/exceptions'
export { Context, ContextUsage, VerificationMode, type ContextParams, type Pem } from './src/Context'
export { HTTPBasicCredentials } from './src/HTTPBasicCredentials'
export { HTTPClientSession, type ProxyConfig } from './src/HTTPClientSession'
export { HTTPSClientSession } from './src/HTTPSClientSession'
export { HTTPCredentials } from './src/HTTPCredentials'
export { HTTPMessage } from './src/HTTPMessage'
export { HTTPRequest } from './src/HTTPRequest'
export type { HTTPRequestHandler, HTTPRequestHandlerFactory } from './src/HTTPRequestHandler'
export { HTTPResponse, HTTPStatus } from './src/HTTPResponse'
export { HTTPServer } from './src/HTTPServer'
export { HTTPServerParams } from './src/HTTPServerParams'
export { HTTPServerRequest, type RequestSocket } from './src/HTTPServerRequest'
export { HTTPServerResponse } from './src/HTTPServerResponse'
export { NameValueCollection } from './src/NameValueCollection'
export { SecureServerSocket } from './src/SecureServerSocket'
export { ServerSocket } from './src/ServerSocket'
export { Socket, SocketOptions, StreamSocket, type Linger } from './src/Socket'
export { SocketAddress } from './src/SocketAddress'
export { WebSocket, type FrameInfo, type ReceivedFrame, type WebSocketOptions } from './src/WebSocket'
export {
  MessageWebSocket,
  type Data,
  type HandshakeRequest,
  type HandshakeResponse,
  type Message,
  type MessageClientOptions,
  type MessageProxyOptions,
  type RawData,
  type MessageSocketOptions,
  type SendOptions,
  type EventMethod,
  type MessageWebSocketEvents,
  type Listener,
} from './src/MessageWebSocket'
export { BINARY_TYPES, type BinaryData, type BinaryType } from './src/binaryType'
export { CloseEvent, ErrorEvent, Event, MessageEvent, type EventListener } from './src/EventTarget'
export { createWebSocketStream } from './src/createWebSocketStream'
export type { PublishData, PublishOptions, RedisOptions, RedisState, RedisStats } from './src/topics'
export { MAX_REDIS_PAYLOAD, REDIS_PREFIX } from './src/topics'
export type { PerMessageDeflate, PerMessageDeflateOptions } from './src/perMessageDeflate'
export {
  WebSocketServer,
  type ClientInfo,
  type ServerAddress,
  type UpgradeRequest,
  type VerifyClientDone,
  type ServerEventMethod,
  type WebSocketServerEvents,
  type WebSocketServerOptions,
} from './src/WebSocketServer'

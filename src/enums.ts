import { native } from './binding'

/** Poco's `WebSocket::Mode`. */
export enum Mode {
  /** Server side (`WebSocket.accept`): frames go out unmasked. */
  WS_SERVER = 0,
  /** Client side (`WebSocket.connect`): every frame sent is masked. */
  WS_CLIENT = 1,
}

/** Poco's `WebSocket::FrameFlags`: bits of a frame's first header byte. */
export enum FrameFlags {
  /** FIN: the last frame of a message. */
  FRAME_FLAG_FIN = 0x80,
  /** RSV1, reserved for extensions (strict mode fails a frame that sets it). */
  FRAME_FLAG_RSV1 = 0x40,
  /** RSV2, reserved for extensions (strict mode fails a frame that sets it). */
  FRAME_FLAG_RSV2 = 0x20,
  /** RSV3, reserved for extensions (strict mode fails a frame that sets it). */
  FRAME_FLAG_RSV3 = 0x10,
}

/** Poco's `WebSocket::FrameOpcodes`. */
export enum FrameOpcodes {
  /** Continuation frame of a fragmented message. */
  FRAME_OP_CONT = 0x00,
  /** Text frame: UTF-8 payload. */
  FRAME_OP_TEXT = 0x01,
  /** Binary frame. */
  FRAME_OP_BINARY = 0x02,
  /** Close frame: an optional 2-byte status code ({@link StatusCodes}) and UTF-8 reason. */
  FRAME_OP_CLOSE = 0x08,
  /** Ping frame (not answered automatically, as in Poco). */
  FRAME_OP_PING = 0x09,
  /** Pong frame. */
  FRAME_OP_PONG = 0x0a,
  /** The opcode bits: `flags & FRAME_OP_BITMASK` is a frame's opcode. */
  FRAME_OP_BITMASK = 0x0f,
  /** Poco's "send the flags byte as is"; `sendFrame` always does (`flags & 0xff`), so it changes nothing here. */
  FRAME_OP_SETRAW = 0x100,
}

/** Poco's `WebSocket::SendFlags`. */
export enum SendFlags {
  /** A final text frame (FIN + FRAME_OP_TEXT), `sendFrame`'s default. */
  FRAME_TEXT = 0x81,
  /** A final binary frame (FIN + FRAME_OP_BINARY). */
  FRAME_BINARY = 0x82,
}

/** Poco's `WebSocket::StatusCodes` (close codes, RFC 6455 §7.4.1). */
export enum StatusCodes {
  /** 1000: normal closure. */
  WS_NORMAL_CLOSE = 1000,
  /** 1001: the endpoint is going away (server shutdown, page left). */
  WS_ENDPOINT_GOING_AWAY = 1001,
  /** 1002: protocol error. */
  WS_PROTOCOL_ERROR = 1002,
  /** 1003: a data type the endpoint cannot accept. */
  WS_PAYLOAD_NOT_ACCEPTABLE = 1003,
  /** 1004: reserved. */
  WS_RESERVED = 1004,
  /** 1005: reserved, means "no status code"; never sent in a CLOSE frame. */
  WS_RESERVED_NO_STATUS_CODE = 1005,
  /** 1006: reserved, means "closed without a CLOSE frame"; never sent. */
  WS_RESERVED_ABNORMAL_CLOSE = 1006,
  /** 1007: payload inconsistent with its type (invalid UTF-8 in text). */
  WS_MALFORMED_PAYLOAD = 1007,
  /** 1008: policy violation. */
  WS_POLICY_VIOLATION = 1008,
  /** 1009: message too big to process. */
  WS_PAYLOAD_TOO_BIG = 1009,
  /** 1010: the client needed an extension the server did not negotiate. */
  WS_EXTENSION_REQUIRED = 1010,
  /** 1011: the server met an unexpected condition. */
  WS_UNEXPECTED_CONDITION = 1011,
  /** 1015: reserved, means "TLS handshake failed"; never sent. */
  WS_RESERVED_TLS_FAILURE = 1015,
}

/** Poco's `WebSocket::ErrorCodes`, the `code` of a {@link WebSocketException}. */
export enum ErrorCodes {
  /** Not a WebSocket handshake, or the server did not upgrade. */
  WS_ERR_NO_HANDSHAKE = 1,
  /** The request has no Sec-WebSocket-Version. */
  WS_ERR_HANDSHAKE_NO_VERSION = 2,
  /** The request asks for a version other than 13. */
  WS_ERR_HANDSHAKE_UNSUPPORTED_VERSION = 3,
  /** The request has no Sec-WebSocket-Key. */
  WS_ERR_HANDSHAKE_NO_KEY = 4,
  /** The server's Sec-WebSocket-Accept is missing or wrong. */
  WS_ERR_HANDSHAKE_ACCEPT = 5,
  /** The server answered 401: no usable credentials, or a second 401 after they were sent. */
  WS_ERR_UNAUTHORIZED = 6,
  /** A frame's payload is over the maximum payload size, or larger than the receive buffer. */
  WS_ERR_PAYLOAD_TOO_BIG = 10,
  /** The connection ended inside a frame. */
  WS_ERR_INCOMPLETE_FRAME = 11,
  /** Not in Poco: the peer broke an RFC 6455 framing rule; the connection failed with 1002. */
  WS_ERR_PROTOCOL_VIOLATION = 12,
  /** Not in Poco: invalid UTF-8 in a text message or close reason; failed with 1007. */
  WS_ERR_INVALID_PAYLOAD = 13,
  /** Not in Poco: a message over the size or fragment limit; failed with 1009. */
  WS_ERR_MESSAGE_TOO_BIG = 14,
}

/** Poco's `Socket::SelectMode`, for `poll` and `select`. */
export enum SelectMode {
  /** Readable: a frame (or end of input) can be received without waiting. */
  SELECT_READ = native.SELECT_READ,
  /** Writable: a frame can be sent without waiting. */
  SELECT_WRITE = native.SELECT_WRITE,
  /** An error is pending on the socket. */
  SELECT_ERROR = native.SELECT_ERROR,
}

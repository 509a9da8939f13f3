/** Poco's `WebSocket::Mode`. */
export enum Mode {
  WS_SERVER = 0,
  WS_CLIENT = 1,
}

/** Poco's `WebSocket::FrameFlags`: bits of a frame's first header byte. */
export enum FrameFlags {
  FRAME_FLAG_FIN = 0x80,
  FRAME_FLAG_RSV1 = 0x40,
  FRAME_FLAG_RSV2 = 0x20,
  FRAME_FLAG_RSV3 = 0x10,
}

/** Poco's `WebSocket::FrameOpcodes`. */
export enum FrameOpcodes {
  FRAME_OP_CONT = 0x00,
  FRAME_OP_TEXT = 0x01,
  FRAME_OP_BINARY = 0x02,
  FRAME_OP_CLOSE = 0x08,
  FRAME_OP_PING = 0x09,
  FRAME_OP_PONG = 0x0a,
  FRAME_OP_BITMASK = 0x0f,
  FRAME_OP_SETRAW = 0x100,
}

/** Poco's `WebSocket::SendFlags`. */
export enum SendFlags {
  FRAME_TEXT = 0x81,
  FRAME_BINARY = 0x82,
}

/** Poco's `WebSocket::StatusCodes` (close codes, RFC 6455 §7.4.1). */
export enum StatusCodes {
  WS_NORMAL_CLOSE = 1000,
  WS_ENDPOINT_GOING_AWAY = 1001,
  WS_PROTOCOL_ERROR = 1002,
  WS_PAYLOAD_NOT_ACCEPTABLE = 1003,
  WS_RESERVED = 1004,
  WS_RESERVED_NO_STATUS_CODE = 1005,
  WS_RESERVED_ABNORMAL_CLOSE = 1006,
  WS_MALFORMED_PAYLOAD = 1007,
  WS_POLICY_VIOLATION = 1008,
  WS_PAYLOAD_TOO_BIG = 1009,
  WS_EXTENSION_REQUIRED = 1010,
  WS_UNEXPECTED_CONDITION = 1011,
  WS_RESERVED_TLS_FAILURE = 1015,
}

/** Poco's `WebSocket::ErrorCodes`, the `code` of a {@link WebSocketException}. */
export enum ErrorCodes {
  WS_ERR_NO_HANDSHAKE = 1,
  WS_ERR_HANDSHAKE_NO_VERSION = 2,
  WS_ERR_HANDSHAKE_UNSUPPORTED_VERSION = 3,
  WS_ERR_HANDSHAKE_NO_KEY = 4,
  WS_ERR_HANDSHAKE_ACCEPT = 5,
  WS_ERR_UNAUTHORIZED = 6,
  WS_ERR_PAYLOAD_TOO_BIG = 10,
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
  SELECT_READ = 1,
  SELECT_WRITE = 2,
  SELECT_ERROR = 4,
}

// The Poco names, values and classes of the public surface (Poco spec §1, §2, §5).
import test from 'ava'

import {
  AssertionViolationException,
  ErrorCodes,
  Exception,
  FrameFlags,
  FrameOpcodes,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  InvalidArgumentException,
  IOException,
  Mode,
  NameValueCollection,
  NetException,
  NotFoundException,
  SendFlags,
  StatusCodes,
  StreamSocket,
  WebSocket,
  WebSocketException,
} from '../index'
import { connect, echoHandler, startServer } from './helpers'

test('enums carry Poco’s exact names and values', (t) => {
  t.deepEqual([Mode.WS_SERVER, Mode.WS_CLIENT], [0, 1])
  t.deepEqual(
    [FrameFlags.FRAME_FLAG_FIN, FrameFlags.FRAME_FLAG_RSV1, FrameFlags.FRAME_FLAG_RSV2, FrameFlags.FRAME_FLAG_RSV3],
    [0x80, 0x40, 0x20, 0x10],
  )
  t.deepEqual(
    [
      FrameOpcodes.FRAME_OP_CONT,
      FrameOpcodes.FRAME_OP_TEXT,
      FrameOpcodes.FRAME_OP_BINARY,
      FrameOpcodes.FRAME_OP_CLOSE,
      FrameOpcodes.FRAME_OP_PING,
      FrameOpcodes.FRAME_OP_PONG,
      FrameOpcodes.FRAME_OP_BITMASK,
      FrameOpcodes.FRAME_OP_SETRAW,
    ],
    [0, 1, 2, 8, 9, 10, 15, 0x100],
  )
  t.deepEqual([SendFlags.FRAME_TEXT, SendFlags.FRAME_BINARY], [0x81, 0x82])
  t.deepEqual(
    [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1015],
    [
      StatusCodes.WS_NORMAL_CLOSE,
      StatusCodes.WS_ENDPOINT_GOING_AWAY,
      StatusCodes.WS_PROTOCOL_ERROR,
      StatusCodes.WS_PAYLOAD_NOT_ACCEPTABLE,
      StatusCodes.WS_RESERVED,
      StatusCodes.WS_RESERVED_NO_STATUS_CODE,
      StatusCodes.WS_RESERVED_ABNORMAL_CLOSE,
      StatusCodes.WS_MALFORMED_PAYLOAD,
      StatusCodes.WS_POLICY_VIOLATION,
      StatusCodes.WS_PAYLOAD_TOO_BIG,
      StatusCodes.WS_EXTENSION_REQUIRED,
      StatusCodes.WS_UNEXPECTED_CONDITION,
      StatusCodes.WS_RESERVED_TLS_FAILURE,
    ],
  )
  t.deepEqual(
    [1, 2, 3, 4, 5, 6, 10, 11],
    [
      ErrorCodes.WS_ERR_NO_HANDSHAKE,
      ErrorCodes.WS_ERR_HANDSHAKE_NO_VERSION,
      ErrorCodes.WS_ERR_HANDSHAKE_UNSUPPORTED_VERSION,
      ErrorCodes.WS_ERR_HANDSHAKE_NO_KEY,
      ErrorCodes.WS_ERR_HANDSHAKE_ACCEPT,
      ErrorCodes.WS_ERR_UNAUTHORIZED,
      ErrorCodes.WS_ERR_PAYLOAD_TOO_BIG,
      ErrorCodes.WS_ERR_INCOMPLETE_FRAME,
    ],
  )
  t.is(WebSocket.WEBSOCKET_VERSION, '13')
})

test('exceptions follow Poco’s hierarchy, names, codes and displayText()', (t) => {
  const error = new WebSocketException('Payload too big', ErrorCodes.WS_ERR_PAYLOAD_TOO_BIG)
  for (const Base of [NetException, IOException, Exception, Error]) t.true(error instanceof Base)
  t.is(error.name, 'WebSocket Exception')
  t.is(error.code, 10)
  t.is(error.displayText(), 'WebSocket Exception: Payload too big')
  const withArg = new WebSocketException('Unsupported WebSocket version requested', '8', 3)
  t.is(withArg.message, 'Unsupported WebSocket version requested: 8')
  t.is(withArg.code, 3)
  t.is(new NotFoundException().displayText(), 'Not found', 'an empty message shows the name alone')
  t.regex(error.stack ?? '', /^WebSocket Exception: Payload too big/)
})

test('computeAccept gives the RFC 6455 §1.3 value; createKey makes fresh 16-byte keys', (t) => {
  t.is(WebSocket.computeAccept('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  const keys = new Set(Array.from({ length: 100 }, () => WebSocket.createKey()))
  t.is(keys.size, 100)
  for (const key of keys) t.is(Buffer.from(key, 'base64').length, 16)
})

test('WebSocket.from shares a WebSocket and refuses any other socket', async (t) => {
  t.throws(() => WebSocket.from(new StreamSocket()), {
    instanceOf: InvalidArgumentException,
    message: 'Cannot assign incompatible socket',
  })
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  const copy = WebSocket.from(ws)
  t.true(copy.equals(ws))
  await copy.sendFrame('through the copy')
  t.is((await ws.receiveFrame()).payload.toString(), 'through the copy', 'both handles use one connection')
  copy.close()
  await t.throwsAsync(ws.sendFrame('x'), { name: 'Invalid socket' })
  await server.stop()
})

test('setMaxPayloadSize rejects values Poco’s assertion rejects', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  for (const bad of [0, -1, 1.5, 2 ** 31]) t.throws(() => ws.setMaxPayloadSize(bad), { instanceOf: AssertionViolationException })
  t.is(ws.getMaxPayloadSize(), 100 * 1024 * 1024)
  ws.close()
  await server.stop()
})

test('sendFrame and receiveFrame reject arguments of the wrong type', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  await t.throwsAsync(ws.sendFrame(42 as unknown as string), { instanceOf: InvalidArgumentException })
  await t.throwsAsync(ws.sendFrame('x', 1.5), { instanceOf: InvalidArgumentException })
  await t.throwsAsync(ws.receiveFrame('x' as unknown as Uint8Array), { instanceOf: InvalidArgumentException })
  await t.throwsAsync(ws.shutdown(70000), { instanceOf: InvalidArgumentException })
  ws.close()
  await server.stop()
})

test('HTTP message classes: Poco defaults and case-insensitive fields', (t) => {
  const request = new HTTPRequest()
  t.is(request.getMethod(), 'GET')
  t.is(request.getURI(), '/')
  t.is(request.getVersion(), HTTPMessage.HTTP_1_0, 'Poco’s HTTPRequest defaults to HTTP/1.0')
  const fields = new NameValueCollection()
  fields.set('Origin', 'a')
  fields.add('origin', 'b')
  t.is(fields.get('ORIGIN'), 'a')
  fields.set('origin', 'c')
  t.deepEqual([...fields], [['Origin', 'c']])
  t.throws(() => fields.get('missing'), { instanceOf: NotFoundException })
  t.is(fields.get('missing', 'default'), 'default')
  const response = new HTTPResponse()
  t.is(response.getStatus(), 200)
  t.is(response.getReason(), 'OK')
  response.setStatus(404)
  t.is(response.getReason(), 'Not Found')
  t.is(HTTPResponse.getReasonForStatus(101), 'Switching Protocols')
})

test('strictness and limits: defaults, setters, validation, and a runtime limit that takes effect', async (t) => {
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    await ws.receiveFrame() // the client has set its limits
    await ws.sendFrame('abc', 0x01) // a fragmented message of 3 + 3 bytes
    await ws.sendFrame('def', 0x80)
    await ws.receiveFrame().catch(() => {})
    ws.close()
  })
  const { ws } = await connect(server.port())
  t.true(ws.getStrict())
  t.is(ws.getMaxMessageSize(), 100 * 1024 * 1024)
  t.is(ws.getMaxFragments(), 131072)
  t.is(ws.getCloseTimeout(), 30000)
  ws.setCloseTimeout(5000)
  t.is(ws.getCloseTimeout(), 5000)
  ws.setMaxFragments(10)
  t.is(ws.getMaxFragments(), 10)
  ws.setStrict(false)
  t.false(ws.getStrict())
  ws.setStrict(true)
  for (const bad of [0, -1, 1.5]) t.throws(() => ws.setMaxMessageSize(bad), { instanceOf: InvalidArgumentException })
  ws.setMaxMessageSize(5)
  t.is(ws.getMaxMessageSize(), 5)
  await ws.sendFrame('go')
  t.is((await ws.receiveFrame()).payload.toString(), 'abc', 'the first fragment is within the limit')
  const error = await t.throwsAsync(ws.receiveFrame(), { instanceOf: WebSocketException })
  t.is(error?.code, ErrorCodes.WS_ERR_MESSAGE_TOO_BIG)
  t.is(error?.closeCode, 1009)
  ws.close()
  await server.stop()
})

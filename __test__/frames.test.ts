// Frame-level semantics between our client and our server (Poco spec §4).
import { randomBytes } from 'node:crypto'

import test from 'ava'

import {
  FrameFlags,
  FrameOpcodes,
  InvalidSocketException,
  Mode,
  SendFlags,
  WebSocket,
  WebSocketException,
} from '../index'
import {
  clientFrame,
  connect,
  echo,
  echoHandler,
  echoHandlerWith,
  fakeServer,
  keyOf,
  rawExchange,
  rawUpgrade,
  readUntil,
  serverFrame,
  startServer,
  upgradeRequest,
} from './helpers'

const boundaries = [0, 1, 125, 126, 127, 65535, 65536, 1024 * 1024]

/** A 101 answer a fake server sends for a raw request head. */
function switching(head: string): string {
  const accept = WebSocket.computeAccept(keyOf(head))
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`
}

test('text and binary frames echo at every length boundary (growing-buffer receive)', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  for (const size of boundaries) {
    for (const flags of [SendFlags.FRAME_TEXT, SendFlags.FRAME_BINARY]) {
      const payload = flags === SendFlags.FRAME_TEXT ? Buffer.alloc(size, 'x') : randomBytes(size)
      t.is(await ws.sendFrame(payload, flags), size)
      const frame = await ws.receiveFrame()
      t.is(frame.n, size, `size ${size}`)
      t.is(frame.flags, flags)
      t.true(frame.payload.equals(payload), `payload of ${size} bytes`)
    }
  }
  ws.close()
  await server.stop()
})

test('receiveFrame(buffer) fills the caller buffer and reports n and flags', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  const buffer = Buffer.alloc(70000)
  for (const size of boundaries.filter((n) => n <= buffer.length)) {
    const payload = randomBytes(size)
    await ws.sendFrame(payload, SendFlags.FRAME_BINARY)
    const { n, flags } = await ws.receiveFrame(buffer)
    t.deepEqual({ n, flags }, { n: size, flags: SendFlags.FRAME_BINARY })
    t.true(buffer.subarray(0, n).equals(payload))
  }
  t.is(await ws.sendFrame('héllo'), Buffer.byteLength('héllo'), 'a string is sent as UTF-8 text by default')
  const text = await ws.receiveFrame()
  t.is(text.flags, SendFlags.FRAME_TEXT)
  t.is(text.payload.toString('utf8'), 'héllo')
  ws.close()
  await server.stop()
})

test('with strict checks off (Poco): fragments, control frames, RSV bits and reserved opcodes pass through with their raw flags', async (t) => {
  const server = await startServer(echoHandlerWith({ strict: false }))
  const { ws } = await connect(server.port(), '/', { strict: false })
  t.false(ws.getStrict())
  const frames: Array<[number, string]> = [
    [FrameOpcodes.FRAME_OP_TEXT, 'ab'], // first fragment, FIN clear
    [FrameOpcodes.FRAME_OP_CONT, 'cd'],
    [FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CONT, 'ef'],
    [FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PING, 'ping'],
    [FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PONG, 'pong'],
    [FrameFlags.FRAME_FLAG_FIN | FrameFlags.FRAME_FLAG_RSV1 | FrameOpcodes.FRAME_OP_TEXT, 'rsv1'],
    [FrameFlags.FRAME_FLAG_FIN | 0x03, 'opcode 3'],
    [FrameOpcodes.FRAME_OP_PING, 'ping without FIN'],
    [0, ''], // flags 0: an empty, non-final continuation frame
  ]
  for (const [flags, text] of frames) {
    t.is(await ws.sendFrame(text, flags), text.length)
    const frame = await ws.receiveFrame()
    t.is(frame.flags, flags, `flags 0x${flags.toString(16)}`)
    t.is(frame.payload.toString(), text)
  }
  ws.close()
  await server.stop()
})

test('a frame larger than the caller buffer rejects with WS_ERR_PAYLOAD_TOO_BIG and a retry receives it', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  const payload = randomBytes(100)
  await ws.sendFrame(payload, SendFlags.FRAME_BINARY)
  const error = await t.throwsAsync(ws.receiveFrame(Buffer.alloc(99)), { instanceOf: WebSocketException })
  t.is(error?.code, 10)
  t.is(error?.message, 'Insufficient buffer for payload size 100')
  const buffer = Buffer.alloc(100)
  t.deepEqual(await ws.receiveFrame(buffer), { n: 100, flags: SendFlags.FRAME_BINARY, eof: false })
  t.true(buffer.equals(payload))
  ws.close()
  await server.stop()
})

test('a frame over the max payload size rejects with WS_ERR_PAYLOAD_TOO_BIG "Payload too big" and fails with 1009', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  t.is(ws.getMaxPayloadSize(), 100 * 1024 * 1024)
  ws.setMaxPayloadSize(1000)
  t.is(ws.getMaxPayloadSize(), 1000)
  await ws.sendFrame(Buffer.alloc(1000), SendFlags.FRAME_BINARY)
  t.is((await ws.receiveFrame()).n, 1000, 'a frame of exactly the limit is fine')
  await ws.sendFrame(Buffer.alloc(1001), SendFlags.FRAME_BINARY)
  const error = await t.throwsAsync(ws.receiveFrame(), { instanceOf: WebSocketException })
  t.is(error?.code, 10)
  t.is(error?.message, 'Payload too big')
  t.is(error?.displayText(), 'WebSocket Exception: Payload too big')
  t.is(error?.closeCode, 1009)
  ws.close()
  await server.stop()
})

test('shutdown sends CLOSE with the status code and message and resolves to the payload length', async (t) => {
  const server = await startServer(echoHandler)
  const first = await connect(server.port())
  t.is(await first.ws.shutdown(), 2)
  const close = await first.ws.receiveFrame()
  t.is(close.flags, FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE)
  t.deepEqual([...close.payload], [0x03, 0xe8])
  t.deepEqual(await first.ws.receiveFrame(), { n: 0, flags: 0, eof: true, payload: Buffer.alloc(0) }, 'then the server closes TCP')
  first.ws.close()

  const second = await connect(server.port())
  t.is(await second.ws.shutdown(1001, 'bye'), 5)
  t.deepEqual([...(await second.ws.receiveFrame()).payload], [0x03, 0xe9, 0x62, 0x79, 0x65])
  second.ws.close()
  await server.stop()
})

test('the peer closing TCP gives { n: 0, flags: 0, eof: true } on every later receive', async (t) => {
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    await ws.sendFrame('last words')
    ws.close()
  })
  const { ws } = await connect(server.port())
  t.is((await ws.receiveFrame()).payload.toString(), 'last words', 'frames sent before close() are flushed')
  t.deepEqual(await ws.receiveFrame(Buffer.alloc(10)), { n: 0, flags: 0, eof: true })
  t.deepEqual(await ws.receiveFrame(Buffer.alloc(10)), { n: 0, flags: 0, eof: true })
  ws.close()
  await server.stop()
})

test('mode(): the client masks (WS_CLIENT), the server does not (WS_SERVER)', async (t) => {
  let serverMode: Mode | undefined
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    serverMode = ws.mode()
    await echo(ws)
  })
  const { ws } = await connect(server.port())
  t.is(ws.mode(), Mode.WS_CLIENT)
  await ws.shutdown()
  await ws.receiveFrame()
  t.is(serverMode, Mode.WS_SERVER)
  ws.close()
  await server.stop()
})

test('client frames are masked with a fresh mask each; the raw payload unmasks to what was sent', async (t) => {
  let captured!: Promise<Buffer>
  const fake = await fakeServer((head, socket) => {
    captured = readUntil(socket, (bytes) => bytes.length >= 22)
    socket.write(switching(head))
  })
  const { ws } = await connect(fake.port)
  await ws.sendFrame('hello')
  await ws.sendFrame('hello')
  const bytes = await captured
  const frames = [bytes.subarray(0, 11), bytes.subarray(11, 22)]
  for (const frame of frames) {
    t.is(frame[0], 0x81)
    t.is(frame[1], 0x80 | 5, 'mask bit set, length 5')
    const mask = frame.subarray(2, 6)
    t.is(Buffer.from(frame.subarray(6).map((b, i) => b ^ mask[i % 4])).toString(), 'hello')
  }
  t.false(frames[0].subarray(2, 6).equals(frames[1].subarray(2, 6)), 'each frame has its own mask')
  ws.close()
  fake.close()
})

test('server frames are not masked, and a raw client PING gets no automatic PONG', async (t) => {
  const received: number[] = []
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    received.push((await ws.receiveFrame()).flags)
    await ws.sendFrame('abc', SendFlags.FRAME_BINARY)
    ws.close()
  })
  const bytes = await rawExchange(server.port(), Buffer.concat([Buffer.from(upgradeRequest()), clientFrame(0x89, Buffer.from('hi'))]))
  const body = bytes.subarray(bytes.indexOf('\r\n\r\n') + 4)
  t.deepEqual([...body], [0x82, 0x03, 0x61, 0x62, 0x63], 'only the binary frame, unmasked; no PONG before it')
  t.deepEqual(received, [0x89])
  await server.stop()
})

test('frames arriving in the same TCP segment as the 101 are not lost', async (t) => {
  const fake = await fakeServer((head, socket) => {
    socket.write(Buffer.concat([Buffer.from(switching(head)), serverFrame(0x81, Buffer.from('early'))]))
  })
  const { ws } = await connect(fake.port)
  const frame = await ws.receiveFrame()
  t.is(frame.payload.toString(), 'early')
  ws.close()
  fake.close()
})

test('EOF inside a frame rejects with WS_ERR_INCOMPLETE_FRAME, in the payload and in the header', async (t) => {
  for (const partial of [Buffer.from([0x81, 0x05, 0x68, 0x65]), Buffer.from([0x81]), Buffer.from([0x82, 0x7e, 0x01])]) {
    const fake = await fakeServer((head, socket) => socket.end(Buffer.concat([Buffer.from(switching(head)), partial])))
    const { ws } = await connect(fake.port)
    const error = await t.throwsAsync(ws.receiveFrame(), { instanceOf: WebSocketException })
    t.is(error?.code, 11)
    t.is(error?.message, 'Incomplete frame received')
    ws.close()
    fake.close()
  }
})

test('after close() every operation rejects with InvalidSocketException, and a pending receive is released', async (t) => {
  const server = await startServer(echoHandler)
  const { ws } = await connect(server.port())
  const pending = ws.receiveFrame()
  ws.close()
  await t.throwsAsync(pending, { instanceOf: InvalidSocketException })
  await t.throwsAsync(ws.receiveFrame(), { instanceOf: InvalidSocketException })
  await t.throwsAsync(ws.sendFrame('x'), { instanceOf: InvalidSocketException })
  await t.throwsAsync(ws.shutdown(), { instanceOf: InvalidSocketException })
  t.throws(() => ws.mode(), { instanceOf: InvalidSocketException })
  await server.stop()
})

test('many queued frames are received in order without loss', async (t) => {
  const count = 5000
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    for (let i = 0; i < count; i++) await ws.sendFrame(String(i))
    await ws.receiveFrame()
    ws.close()
  })
  const { ws } = await connect(server.port())
  for (let i = 0; i < count; i++) {
    const frame = await ws.receiveFrame()
    if (frame.payload.toString() !== String(i)) return t.fail(`frame ${i} was ${frame.payload.toString()}`)
  }
  t.pass()
  await ws.shutdown()
  ws.close()
  await server.stop()
})

test('end of input is told apart from an empty non-final CONTINUATION frame by eof (both are { n: 0, flags: 0 }, as in Poco)', async (t) => {
  let results!: (frames: unknown[]) => void
  const done = new Promise<unknown[]>((resolve) => (results = resolve))
  const server = await startServer(async (request, response) => {
    const ws = await WebSocket.accept(request, response)
    const frames: unknown[] = []
    for (;;) {
      const { n, flags, eof } = await ws.receiveFrame(Buffer.alloc(16))
      frames.push({ n, flags, eof })
      if (eof) break
    }
    ws.close()
    results(frames)
  })
  const { socket } = await rawUpgrade(server.port())
  socket.write(Buffer.concat([clientFrame(0x01, Buffer.from('a')), clientFrame(0x00, Buffer.alloc(0)), clientFrame(0x80, Buffer.from('b'))]))
  socket.end()
  t.deepEqual(await done, [
    { n: 1, flags: 0x01, eof: false },
    { n: 0, flags: 0x00, eof: false },
    { n: 1, flags: 0x80, eof: false },
    { n: 0, flags: 0x00, eof: true },
  ])
  await server.stop()
})

// The Autobahn|Testsuite client: runs every case of a `wstest -m fuzzingserver` against our
// WebSocket client (see scripts/autobahn/run.mjs). Only the public API, default strict options.
//   GET /getCaseCount                          one text message: the number of cases
//   GET /runCase?case=N&agent=poco-websocket   the echo loop below, for N = 1..count
//   GET /updateReports?agent=poco-websocket    the server writes its reports
// The echo loop, frame level: PING → PONG with the same payload; PONG → ignored; CLOSE → CLOSE
// with the same status code (no payload if the received one had none), then stop;
// TEXT/BINARY/CONT → the same frame back (same flags); end of input ({n: 0, flags: 0}
//   outside a fragmented message; see echo()) → stop; a WebSocketException
// from receiveFrame (the core failed the connection with 1002/1007/1009) → stop.
// Every case is bounded (AUTOBAHN_CASE_TIMEOUT_MS, default 60000): a stuck case is closed and
// the run goes on.
// Usage: node dist/examples/autobahn-client.js [ws://127.0.0.1:9001] [agent]
import {
  FrameFlags,
  FrameOpcodes,
  HTTPClientSession,
  HTTPMessage,
  HTTPRequest,
  HTTPResponse,
  WebSocket,
  WebSocketException,
} from '../index'

const PONG = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PONG // 0x8A
const CLOSE = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE // 0x88
const CONT = FrameOpcodes.FRAME_OP_CONT // 0x00: a non-final continuation frame
const EMPTY = Buffer.alloc(0)
const CASE_TIMEOUT_MS = Number(process.env.AUTOBAHN_CASE_TIMEOUT_MS ?? 60_000)
const verbose = process.env.AUTOBAHN_VERBOSE === '1'

function describe(error: unknown): string {
  if (error instanceof WebSocketException) return `${error.displayText()} (code ${error.code}, close ${error.closeCode})`
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

async function open(base: URL, path: string): Promise<WebSocket> {
  const session = new HTTPClientSession(base.hostname, Number(base.port || 80))
  session.setTimeout(10_000)
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, path, HTTPMessage.HTTP_1_1)
  return WebSocket.connect(session, request, new HTTPResponse())
}

/** The echo loop; resolves once the connection is over, never throws. */
async function echo(ws: WebSocket, label: string): Promise<void> {
  try {
    // Strict mode lets a CONT frame arrive only inside a fragmented message, so outside one
    // {n: 0, flags: 0} is the end of input. Inside one it is ambiguous: an empty non-final CONT
    // frame has flags 0x00 too (Poco's API has the same collision). Such results are counted and
    // echoed once a real frame proves they were frames; more of them than the core lets one
    // message have (getMaxFragments(), else it fails the connection with 1009) means end of input.
    let open = false // a fragmented data message is open
    let fragments = 0 // frames of the open message so far
    let pendingEmpty = 0 // {0, 0} results inside the open message, not yet echoed
    for (;;) {
      let frame
      try {
        frame = await ws.receiveFrame()
      } catch (error) {
        // The core failed the connection (1002/1007/1009): CLOSE sent, TCP closing.
        if (verbose) console.error(`${label}: receiveFrame: ${describe(error)}`)
        return
      }
      const { n, flags, payload } = frame
      if (n === 0 && flags === 0) {
        if (!open || ++fragments > ws.getMaxFragments()) return // the peer closed TCP
        pendingEmpty++
        continue
      }
      for (; pendingEmpty > 0; pendingEmpty--) await ws.sendFrame(EMPTY, CONT)
      const opcode = flags & FrameOpcodes.FRAME_OP_BITMASK
      switch (opcode) {
        case FrameOpcodes.FRAME_OP_PING:
          await ws.sendFrame(payload, PONG)
          break
        case FrameOpcodes.FRAME_OP_PONG:
          break
        case FrameOpcodes.FRAME_OP_CLOSE:
          // Same status code back; an empty CLOSE gets an empty CLOSE.
          await ws.sendFrame(payload.length >= 2 ? payload.subarray(0, 2) : EMPTY, CLOSE)
          return
        default: // TEXT, BINARY, CONT (other opcodes never get here in strict mode)
          fragments = opcode === FrameOpcodes.FRAME_OP_CONT ? fragments + 1 : 1
          open = (flags & FrameFlags.FRAME_FLAG_FIN) === 0
          await ws.sendFrame(payload, flags)
      }
    }
  } catch (error) {
    if (verbose) console.error(`${label}: sendFrame: ${describe(error)}`)
  } finally {
    ws.close()
  }
}

/** Runs `body` on a fresh connection to `path`, closing it after `timeoutMs` at the latest. */
async function withConnection<T>(base: URL, path: string, timeoutMs: number, body: (ws: WebSocket) => Promise<T>): Promise<T> {
  const ws = await open(base, path)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ws.close() // wakes the pending receiveFrame (InvalidSocketException)
      reject(new Error(`${path}: no end within ${timeoutMs} ms, closed`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([body(ws), timeout])
  } finally {
    clearTimeout(timer)
    ws.close()
  }
}

async function getCaseCount(base: URL): Promise<number> {
  return withConnection(base, '/getCaseCount', 10_000, async (ws) => {
    const { flags, payload } = await ws.receiveFrame()
    if ((flags & FrameOpcodes.FRAME_OP_BITMASK) !== FrameOpcodes.FRAME_OP_TEXT) {
      throw new Error(`/getCaseCount: expected a text frame, got flags 0x${flags.toString(16)}`)
    }
    const count = Number(payload.toString('utf8'))
    if (!Number.isInteger(count) || count < 0) throw new Error(`/getCaseCount: bad count ${payload.toString()}`)
    await echo(ws, '/getCaseCount') // answers the server's CLOSE
    return count
  })
}

async function main(): Promise<void> {
  const base = new URL(process.argv[2] ?? process.env.AUTOBAHN_URL ?? 'ws://127.0.0.1:9001')
  const agent = process.argv[3] ?? 'poco-websocket'
  const count = await getCaseCount(base)
  console.log(`${count} cases at ${base.origin}, agent ${agent}`)
  const started = Date.now()
  let timedOut = 0
  let failed = 0
  for (let i = 1; i <= count; i++) {
    const path = `/runCase?case=${i}&agent=${encodeURIComponent(agent)}`
    const t0 = Date.now()
    try {
      await withConnection(base, path, CASE_TIMEOUT_MS, (ws) => echo(ws, path))
    } catch (error) {
      if (error instanceof Error && error.message.includes('no end within')) timedOut++
      else failed++
      console.error(`case ${i}: ${describe(error)}`)
    }
    const ms = Date.now() - t0
    if (verbose || ms > 5000 || i % 50 === 0 || i === count) console.log(`case ${i}/${count} done (${ms} ms)`)
  }
  await withConnection(base, `/updateReports?agent=${encodeURIComponent(agent)}`, 120_000, (ws) => echo(ws, '/updateReports'))
  console.log(`${count} cases in ${((Date.now() - started) / 1000).toFixed(1)} s; ${timedOut} timed out, ${failed} failed to connect/run; reports updated`)
}

main().catch((error) => {
  console.error(describe(error))
  process.exit(1)
})

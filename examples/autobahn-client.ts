// The Autobahn|Testsuite client: runs every case of a `wstest -m fuzzingserver` against our
// frame-level WebSocket client (see scripts/autobahn/run.mjs). Only the public API, default strict
// options.
//   GET /getCaseCount                     one text message: the number of cases
//   GET /runCase?case=N&agent=<agent>     the echo loop below, for N = 1..count
//   GET /updateReports?agent=<agent>      the server writes its reports
// Each case runs the frame-level echo loop of autobahn-echo.ts.
// Every case is bounded (AUTOBAHN_CASE_TIMEOUT_MS, default 60000): a stuck case is closed and
// the run goes on.
// Usage: node dist/examples/autobahn-client.js [ws://127.0.0.1:9001] [agent]
import { FrameOpcodes, HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, WebSocket } from '../index'
import { describe, echo } from './autobahn-echo'

const CASE_TIMEOUT_MS = Number(process.env.AUTOBAHN_CASE_TIMEOUT_MS ?? 60_000)
const verbose = process.env.AUTOBAHN_VERBOSE === '1'

async function open(base: URL, path: string): Promise<WebSocket> {
  const session = new HTTPClientSession(base.hostname, Number(base.port || 80))
  session.setTimeout(10_000)
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, path, HTTPMessage.HTTP_1_1)
  return WebSocket.connect(session, request, new HTTPResponse())
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
  const agent = process.argv[3] ?? 'poco-frame'
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

// The Autobahn|Testsuite client of the message API: runs every case of a `wstest -m fuzzingserver`
// against MessageWebSocket (see scripts/autobahn/run.mjs), default options (strict).
//   GET /getCaseCount                     one text message: the number of cases
//   GET /runCase?case=N&agent=<agent>     every message echoed as it came (text as text, binary as
//                                         binary), for N = 1..count
//   GET /updateReports?agent=<agent>      the server writes its reports
// The runtime joins fragments, answers PINGs and the server's CLOSE, and fails the connection on
// a protocol violation; a connection ends with its `close` event.
// Every case is bounded (AUTOBAHN_CASE_TIMEOUT_MS, default 60000): a stuck case is terminated and
// the run goes on.
// Usage: node dist/examples/autobahn-message-client.js [ws://127.0.0.1:9001] [agent]
import { MessageWebSocket } from '../index'

const CASE_TIMEOUT_MS = Number(process.env.AUTOBAHN_CASE_TIMEOUT_MS ?? 60_000)
const verbose = process.env.AUTOBAHN_VERBOSE === '1'

/** How a connection ended. */
interface Outcome {
  code: number
  /** The handshake succeeded. */
  opened: boolean
  timedOut: boolean
  error?: unknown
}

/**
 * Connects to `path`, hands every message to `onMessage` and resolves once the socket closed,
 * terminating it after `timeoutMs` at the latest.
 */
function runConnection(
  base: URL,
  path: string,
  timeoutMs: number,
  onMessage: (ws: MessageWebSocket, data: Buffer, isBinary: boolean) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new MessageWebSocket(new URL(path, base))
    let opened = false
    let timedOut = false
    let error: unknown
    const timer = setTimeout(() => {
      timedOut = true
      ws.terminate() // `close` follows
    }, timeoutMs)
    ws.on('open', () => (opened = true))
    ws.on('message', (data: Buffer, isBinary: boolean) => onMessage(ws, data, isBinary))
    ws.on('error', (e: unknown) => {
      error = e
      if (verbose) console.error(`${path}: ${describe(e)}`)
    })
    ws.on('close', (code: number) => {
      clearTimeout(timer)
      resolve({ code, opened, timedOut, error })
    })
  })
}

const echo = (ws: MessageWebSocket, data: Buffer, isBinary: boolean): void => void ws.send(data, { binary: isBinary })

async function getCaseCount(base: URL): Promise<number> {
  let first: { text: string; isBinary: boolean } | undefined
  const outcome = await runConnection(base, '/getCaseCount', 10_000, (_ws, data, isBinary) => {
    first ??= { text: data.toString('utf8'), isBinary }
  })
  if (!first) throw new Error(`/getCaseCount: no message (close code ${outcome.code}${outcome.error ? `, ${describe(outcome.error)}` : ''})`)
  if (first.isBinary) throw new Error('/getCaseCount: expected a text message, got a binary one')
  const count = Number(first.text)
  if (!Number.isInteger(count) || count < 0) throw new Error(`/getCaseCount: bad count ${first.text}`)
  return count
}

async function main(): Promise<void> {
  const base = new URL(process.argv[2] ?? process.env.AUTOBAHN_URL ?? 'ws://127.0.0.1:9001')
  const agent = process.argv[3] ?? 'poco-message'
  const count = await getCaseCount(base)
  console.log(`${count} cases at ${base.origin}, agent ${agent}`)
  const started = Date.now()
  let timedOut = 0
  let failed = 0
  for (let i = 1; i <= count; i++) {
    const t0 = Date.now()
    const outcome = await runConnection(base, `/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, CASE_TIMEOUT_MS, echo)
    if (outcome.timedOut) {
      timedOut++
      console.error(`case ${i}: no end within ${CASE_TIMEOUT_MS} ms, terminated`)
    } else if (!outcome.opened) {
      failed++
      console.error(`case ${i}: could not connect: ${describe(outcome.error)}`)
    }
    const ms = Date.now() - t0
    if (verbose || ms > 5000 || i % 50 === 0 || i === count) console.log(`case ${i}/${count} done (${ms} ms)`)
  }
  const update = await runConnection(base, `/updateReports?agent=${encodeURIComponent(agent)}`, 120_000, echo)
  if (!update.opened || update.timedOut) {
    throw new Error(`/updateReports failed: ${update.timedOut ? 'no end within 120 s' : describe(update.error)}`)
  }
  console.log(`${count} cases in ${((Date.now() - started) / 1000).toFixed(1)} s; ${timedOut} timed out, ${failed} failed to connect; reports updated`)
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

main().catch((error) => {
  console.error(describe(error))
  process.exit(1)
})

#!/usr/bin/env node
// poco-ws: a small WebSocket client and server for the terminal, on poco-websocket's message API.
//
//   poco-ws connect <url>               stdin lines go out as messages, incoming messages are printed
//   poco-ws serve --port N [--echo | --broadcast]
//
// Messages go to stdout, everything else (connects, closes, errors) to stderr, so the output of
// `connect` can be piped. Exit codes: 0 normal close, 1 connection error or abnormal close,
// 2 usage error (bad option, bad URL, unreadable --ca file).
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import * as readline from 'node:readline'
import { parseArgs } from 'node:util'

import {
  CertificateValidationException,
  ConnectionRefusedException,
  Context,
  Exception,
  HostNotFoundException,
  MessageWebSocket,
  SSLException,
  TimeoutException,
  WebSocketException,
  WebSocketServer,
  type HTTPServerRequest,
  type MessageClientOptions,
} from '../index'

const EXIT_OK = 0
const EXIT_ERROR = 1
const EXIT_USAGE = 2

/** Close codes after which `connect` exits with 0: normal closure, going away, no status. */
const NORMAL_CLOSE_CODES = new Set([1000, 1001, 1005])
/** How long `connect` waits for the close handshake it started before dropping TCP. */
const CLOSE_WAIT_MS = 5000
/** How long `serve` waits for its clients to finish the close handshake on SIGINT/SIGTERM. */
const SHUTDOWN_WAIT_MS = 3000

const MAIN_HELP = `Usage: poco-ws <command> [options]

A WebSocket client and server for the terminal (poco-websocket).

Commands:
  connect <url>     connect to a WebSocket server; stdin lines are sent as messages
  serve --port N    run a WebSocket server (--echo, --broadcast or interactive)

Options:
  -h, --help        show help (also: poco-ws <command> --help)
  -V, --version     show the version

Exit codes: 0 normal close, 1 connection error or abnormal close, 2 usage error.
`

const CONNECT_HELP = `Usage: poco-ws connect <url> [options]

Connects to <url> (ws://host:port/path; "host:port/path" means ws://host:port/path).
Each line read from stdin is sent as a text message; when stdin ends (Ctrl+D) the
connection is closed with code 1000. Incoming messages are printed to stdout as
"< text", binary ones as "< [binary, N bytes] <hex>". Status lines go to stderr.

Options:
  -H, --header 'Name: value'   add a request header field (repeatable)
  -s, --subprotocol <name>     offer a subprotocol (repeatable)
  -b, --binary                 send stdin lines as binary messages (their UTF-8 bytes)
  -w, --wait <seconds>         when stdin ends, wait this long for replies before closing
      --ca <file>              for wss://: also trust the CA certificate(s) in <file> (PEM)
  -k, --insecure               for wss://: do not verify the server's certificate
  -h, --help                   show this help

Exits with 0 when the connection closes with 1000, 1001 or no status code, 1 on a
connection error or any other close code, 2 on a usage error or a bad URL.
`

const SERVE_HELP = `Usage: poco-ws serve --port N [--host H] [--echo | --broadcast] [--cert F --key F]

Runs a WebSocket server on ws://H:N/ (any path; wss:// with --cert and --key). Connects and
disconnects are logged to stderr. Ctrl+C (SIGINT) or SIGTERM closes every client with 1001
and exits.

Modes:
  --echo           send every message back to its sender
  --broadcast      send every message to every other client
  (neither)        print incoming messages to stdout as "<#id text"; stdin lines are
                   sent to every client

Options:
  -p, --port <N>   port to listen on (0 picks a free one; the log says which)
      --host <H>   address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
      --cert <F>   serve wss://: the server certificate (chain), PEM
      --key <F>    serve wss://: its private key, PEM
  -h, --help       show this help
`

/** A usage error: printed with a hint and exit code 2. */
class UsageError extends Error {}

function main(argv: string[]): void {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'connect':
        return connect(rest)
      case 'serve':
        return serve(rest)
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(MAIN_HELP)
        return
      case '-V':
      case '--version':
        process.stdout.write(`${version()}\n`)
        return
      case undefined:
        process.stderr.write(MAIN_HELP)
        process.exitCode = EXIT_USAGE
        return
      default:
        throw new UsageError(`unknown command '${command}'`)
    }
  } catch (error) {
    if (!(error instanceof UsageError) && !isParseArgsError(error)) throw error
    const help = command === 'connect' || command === 'serve' ? `poco-ws ${command} --help` : 'poco-ws --help'
    process.stderr.write(`error: ${(error as Error).message}\n(see '${help}')\n`)
    process.exitCode = EXIT_USAGE
  }
}

// ---------------------------------------------------------------- connect

function connect(args: string[]): void {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      header: { type: 'string', short: 'H', multiple: true },
      subprotocol: { type: 'string', short: 's', multiple: true },
      binary: { type: 'boolean', short: 'b' },
      wait: { type: 'string', short: 'w', default: '0' },
      ca: { type: 'string' },
      insecure: { type: 'boolean', short: 'k' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(CONNECT_HELP)
    return
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <url>' : 'too many arguments')
  const url = parseUrl(positionals[0])
  const headers = parseHeaders(values.header ?? [])
  const options: MessageClientOptions = { headers, closeTimeout: CLOSE_WAIT_MS }
  // wss:// only: the CAs to trust besides the default roots, or no verification at all.
  if (values.ca !== undefined) options.ca = readPem(values.ca, 'CA')
  if (values.insecure) options.rejectUnauthorized = false
  const binary = values.binary ?? false
  const waitMs = Number(values.wait) * 1000
  if (values.wait.trim() === '' || !Number.isFinite(waitMs) || waitMs < 0) throw new UsageError(`invalid --wait '${values.wait}'`)

  const ws = new MessageWebSocket(url, values.subprotocol ?? [], options)
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true
  const rl = readline.createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  })
  rl.setPrompt('> ')
  const queued: string[] = []
  let inputEnded = false
  let closing = false
  let failed = false

  /** Prints a line without breaking the line being typed at the prompt. */
  const print = (stream: NodeJS.WriteStream, line: string): void => {
    if (interactive) {
      readline.clearLine(process.stdout, 0)
      readline.cursorTo(process.stdout, 0)
    }
    stream.write(`${line}\n`)
    if (interactive && !closing) rl.prompt(true)
  }
  const send = (line: string): void => {
    // Backpressure: stop reading stdin until the write buffer drains (`cat big-file | poco-ws …`).
    if (!ws.send(binary ? Buffer.from(line) : line, { binary })) {
      rl.pause()
      ws.once('drain', () => rl.resume())
    }
  }
  const startClose = (): void => {
    if (closing) return
    closing = true
    if (ws.readyState === MessageWebSocket.OPEN) {
      for (const line of queued.splice(0)) send(line)
    }
    ws.close(1000)
    // The close timeout ends a close handshake the server does not answer; this is the backstop.
    setTimeout(() => ws.terminate(), CLOSE_WAIT_MS + 1000).unref()
  }
  const closeAfterWait = (): void => {
    if (waitMs > 0 && !closing) setTimeout(startClose, waitMs)
    else startClose()
  }

  ws.on('open', () => {
    const protocol = ws.protocol === '' ? '' : ` (subprotocol: ${ws.protocol})`
    print(process.stderr, `connected to ${ws.url}${protocol}${interactive ? '; Ctrl+D or Ctrl+C closes' : ''}`)
    for (const line of queued.splice(0)) send(line)
    if (inputEnded) closeAfterWait()
  })
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    print(process.stdout, isBinary ? `< [binary, ${data.length} bytes] ${data.toString('hex')}` : `< ${data.toString()}`)
  })
  ws.on('error', (error: unknown) => {
    failed = true
    print(process.stderr, `error: ${describeClientError(error, url)}`)
  })
  ws.on('close', (code: number, reason: Buffer) => {
    if (!failed) print(process.stderr, `closed: ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`)
    const status = failed || !NORMAL_CLOSE_CODES.has(code) ? EXIT_ERROR : EXIT_OK
    rl.close()
    // stdin may still be open (a terminal, a pipe nobody closes): exit once stdout is flushed.
    process.stdout.write('', () => process.exit(status))
  })

  rl.on('line', (line) => {
    if (closing) return
    if (ws.readyState === MessageWebSocket.OPEN) send(line)
    else queued.push(line)
    if (interactive) rl.prompt()
  })
  rl.on('close', () => {
    // stdin ended (or Ctrl+D): close with 1000 once everything typed is out and --wait passed.
    if (inputEnded) return
    inputEnded = true
    if (ws.readyState !== MessageWebSocket.CONNECTING) closeAfterWait()
  })
  let interrupts = 0
  const interrupt = (): void => {
    if (++interrupts > 1 || ws.readyState === MessageWebSocket.CONNECTING) process.exit(130)
    startClose()
  }
  rl.on('SIGINT', interrupt)
  process.on('SIGINT', interrupt)
  process.on('SIGTERM', interrupt)
}

/** `ws://…` as a URL; a URL without a scheme gets ws://, as wscat does. */
function parseUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `ws://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new UsageError(`invalid URL '${text}'`)
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new UsageError(`invalid URL '${text}': the scheme must be ws:// or wss://`)
  }
  if (url.hash !== '') throw new UsageError(`invalid URL '${text}': a WebSocket URL has no #fragment`)
  return url
}

/** `Name: value` strings as header fields; a repeated name joins its values with ", ". */
function parseHeaders(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new UsageError(`invalid header '${line}' (expected 'Name: value')`)
    }
    const value = line.slice(colon + 1).trim()
    const existing = Object.keys(headers).find((key) => key.toLowerCase() === name.toLowerCase())
    if (existing === undefined) headers[name] = value
    else headers[existing] = `${headers[existing]}, ${value}`
  }
  return headers
}

function describeClientError(error: unknown, url: URL): string {
  const where = url.host
  if (error instanceof ConnectionRefusedException) return `connection refused by ${where} (is the server running?)`
  if (error instanceof HostNotFoundException) return `host not found: ${url.hostname}`
  if (error instanceof TimeoutException) return `timed out (${where}): ${error.message}`
  if (error instanceof CertificateValidationException) {
    return `TLS certificate verification failed for ${where}: ${error.message} (--ca <file> trusts a CA, --insecure skips the check)`
  }
  if (error instanceof SSLException) return `TLS error (${where}): ${error.displayText()}`
  if (error instanceof WebSocketException) return `WebSocket handshake or protocol error: ${error.message}`
  if (error instanceof Exception) return error.displayText()
  return error instanceof Error ? error.message : String(error)
}

// ---------------------------------------------------------------- serve

function serve(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string', default: '127.0.0.1' },
      echo: { type: 'boolean' },
      broadcast: { type: 'boolean' },
      cert: { type: 'string' },
      key: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(SERVE_HELP)
    return
  }
  if (values.port === undefined) throw new UsageError('missing --port')
  const port = Number(values.port)
  if (!/^\d+$/.test(values.port) || port > 65535) throw new UsageError(`invalid port '${values.port}'`)
  if (values.echo && values.broadcast) throw new UsageError('--echo and --broadcast exclude each other')
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError('--cert and --key go together')
  let context: Context | undefined
  if (values.cert !== undefined && values.key !== undefined) {
    const certificate = readPem(values.cert, 'certificate').toString()
    const privateKey = readPem(values.key, 'key').toString()
    try {
      context = new Context(Context.TLS_SERVER_USE, { certificate, privateKey })
    } catch (error) {
      throw new UsageError(`cannot use --cert/--key: ${error instanceof Exception ? error.displayText() : String(error)}`)
    }
  }
  const host = values.host
  const scheme = context ? 'wss' : 'ws'
  const mode = values.echo ? 'echo' : values.broadcast ? 'broadcast' : 'interactive'
  const log = (line: string): void => void process.stderr.write(`${line}\n`)

  const server = new WebSocketServer({ host, port, context })
  let listening = false
  let nextId = 1
  server.on('error', (error: unknown) => {
    const text = error instanceof Exception ? error.displayText() : error instanceof Error ? error.message : String(error)
    if (listening) return log(`error: ${text}`)
    log(`error: cannot listen on ${host}:${port}: ${text}`)
    process.exit(EXIT_ERROR)
  })
  server.on('listening', () => {
    listening = true
    const shown = host.includes(':') ? `[${host}]` : host
    log(`listening on ${scheme}://${shown}:${server.address().port}/ (${mode})`)
  })
  // A server on its own port: the request is Poco's.
  server.on('connection', (ws: MessageWebSocket, request: HTTPServerRequest) => {
    const id = nextId++
    const protocol = ws.protocol === '' ? '' : `, subprotocol ${ws.protocol}`
    log(`#${id} connected from ${request.clientAddress().toString()} (${request.getURI()}${protocol})`)
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (mode === 'echo') {
        ws.send(data, { binary: isBinary })
      } else if (mode === 'broadcast') {
        for (const client of server.clients) {
          if (client !== ws && client.readyState === MessageWebSocket.OPEN) client.send(data, { binary: isBinary })
        }
      } else {
        const text = isBinary ? `[binary, ${data.length} bytes] ${data.toString('hex')}` : data.toString()
        process.stdout.write(`<#${id} ${text}\n`)
      }
    })
    ws.on('error', (error: unknown) => log(`#${id} error: ${error instanceof Error ? error.message : String(error)}`))
    ws.on('close', (code: number, reason: Buffer) => {
      log(`#${id} disconnected: ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`)
    })
  })

  if (mode === 'interactive') {
    // Only here: a server started in the background (`&`) must not read the terminal.
    const rl = readline.createInterface({ input: process.stdin, terminal: false })
    rl.on('line', (line) => {
      for (const client of server.clients) if (client.readyState === MessageWebSocket.OPEN) client.send(line)
    })
  }

  let stopping = false
  const stop = (): void => {
    if (stopping) process.exit(130)
    stopping = true
    log(`shutting down (${server.clients.size} client${server.clients.size === 1 ? '' : 's'})`)
    for (const client of server.clients) client.close(1001, 'server shutting down')
    const exit = (): void => process.exit(EXIT_OK)
    setTimeout(exit, SHUTDOWN_WAIT_MS)
    server.close(() => {
      if (server.clients.size === 0) return exit()
      for (const client of server.clients) {
        client.once('close', () => {
          if (server.clients.size === 0) exit()
        })
      }
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

// ---------------------------------------------------------------- helpers

/** The contents of a PEM file named on the command line. */
function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new UsageError(`cannot read the ${what} file '${file}': ${(error as Error).message}`)
  }
}

function version(): string {
  // dist/cli/poco-ws.js → the package root.
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
  return manifest.version
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')
}

main(process.argv.slice(2))

// The poco-ws command line (cli/poco-ws.ts), run as child processes: serve and connect talking to
// each other, connect against a ws server, broadcast between two clients, and the error exits.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import * as net from 'node:net'
import * as path from 'node:path'

import test, { type ExecutionContext } from 'ava'
import { WebSocketServer as WSServer } from 'ws'

import { makePki } from './pki'

const CLI = path.join(__dirname, '..', 'cli', 'poco-ws.js')
/** How long any one expected line may take. */
const WAIT_MS = 10_000

/** A running `poco-ws` with its output collected line by line. */
class Cli {
  readonly child: ChildProcess
  readonly stdout: string[] = []
  readonly stderr: string[] = []
  readonly exited: Promise<number | null>
  private readonly waiters = new Set<() => void>()

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.collect(this.child.stdout!, this.stdout)
    this.collect(this.child.stderr!, this.stderr)
    this.child.stdin!.on('error', () => {}) // writes after exit
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)))
  }

  /** Writes a line to its stdin. */
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`)
  }

  /** Ends its stdin. */
  end(): void {
    this.child.stdin!.end()
  }

  /** Waits for a line of `stream` matching `pattern`; returns the match. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpExecArray> {
    const lines = this[stream]
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const line of lines) {
          const match = pattern.exec(line)
          if (match) {
            cleanup()
            resolve(match)
            return true
          }
        }
        return false
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`no ${stream} line matching ${pattern} within ${WAIT_MS} ms; stdout: ${JSON.stringify(this.stdout)}, stderr: ${JSON.stringify(this.stderr)}`))
      }, WAIT_MS)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
      }
      const waiter = (): void => void check()
      if (!check()) this.waiters.add(waiter)
    })
  }

  /** Resolves to the exit code, or fails after WAIT_MS. */
  async exitCode(): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`poco-ws did not exit; stderr: ${JSON.stringify(this.stderr)}`)), WAIT_MS)
    })
    try {
      return await Promise.race([this.exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  private collect(stream: NodeJS.ReadableStream, lines: string[]): void {
    let pending = ''
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const parts = pending.split('\n')
      pending = parts.pop()!
      lines.push(...parts)
      for (const waiter of [...this.waiters]) waiter()
    })
  }
}

/** Starts `poco-ws …args`; the test's teardown kills it if it is still running. */
function cli(t: ExecutionContext, args: string[]): Cli {
  const started = new Cli(args)
  t.teardown(() => {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL')
  })
  return started
}

/** Runs `poco-ws …args` with stdin closed; resolves once it exits. */
async function run(t: ExecutionContext, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = cli(t, args)
  started.end()
  const code = await started.exitCode()
  return { code, stdout: started.stdout.join('\n'), stderr: started.stderr.join('\n') }
}

/** `poco-ws serve …args --port 0`; resolves once it listens, with its port. */
async function serve(t: ExecutionContext, args: string[], scheme = 'ws'): Promise<{ server: Cli; port: number }> {
  const server = cli(t, ['serve', '--port', '0', ...args])
  const [, port] = await server.waitFor('stderr', new RegExp(`^listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)/`))
  return { server, port: Number(port) }
}

/** A port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

test('--help for the command and each subcommand; an unknown command is a usage error', async (t) => {
  const main = await run(t, ['--help'])
  t.is(main.code, 0)
  t.regex(main.stdout, /Usage: poco-ws <command>/)
  const connect = await run(t, ['connect', '--help'])
  t.is(connect.code, 0)
  t.regex(connect.stdout, /--subprotocol/)
  const serveHelp = await run(t, ['serve', '-h'])
  t.is(serveHelp.code, 0)
  t.regex(serveHelp.stdout, /--broadcast/)
  const unknown = await run(t, ['frobnicate'])
  t.is(unknown.code, 2)
  t.regex(unknown.stderr, /^error: unknown command 'frobnicate'/)
  const noPort = await run(t, ['serve'])
  t.is(noPort.code, 2)
  t.regex(noPort.stderr, /missing --port/)
})

test('connect: a bad URL exits with 2 and says so', async (t) => {
  for (const url of ['ws://exa mple.com/', 'http://127.0.0.1:9/', 'ws://']) {
    const { code, stderr } = await run(t, ['connect', url])
    t.is(code, 2, url)
    t.regex(stderr, /^error: invalid URL /, url)
  }
  const badHeader = await run(t, ['connect', '-H', 'no colon', 'ws://127.0.0.1:9/'])
  t.is(badHeader.code, 2)
  t.regex(badHeader.stderr, /^error: invalid header 'no colon'/)
})

test('connect: a refused connection exits with 1 and says so', async (t) => {
  const port = await freePort()
  const { code, stdout, stderr } = await run(t, ['connect', `ws://127.0.0.1:${port}/`])
  t.is(code, 1)
  t.is(stdout, '')
  t.regex(stderr, new RegExp(`^error: connection refused by 127\\.0\\.0\\.1:${port}`))
})

test('serve --cert/--key and connect wss:// with --ca, without it (certificate error) and with --insecure', async (t) => {
  const pki = makePki()
  t.teardown(() => pki.remove())
  const { server, port } = await serve(t, ['--echo', '--cert', pki.server.certificateFile, '--key', pki.server.keyFile], 'wss')
  const url = `wss://localhost:${port}/`

  const trusted = cli(t, ['connect', '--ca', pki.caFile, url])
  trusted.send('over tls')
  await trusted.waitFor('stdout', /^< over tls$/)
  trusted.end()
  t.is(await trusted.exitCode(), 0)

  const untrusted = await run(t, ['connect', url])
  t.is(untrusted.code, 1)
  t.regex(untrusted.stderr, new RegExp(`^error: TLS certificate verification failed for localhost:${port}: .*--insecure skips the check`))

  const insecure = cli(t, ['connect', '--insecure', url])
  insecure.send('unverified')
  await insecure.waitFor('stdout', /^< unverified$/)
  insecure.end()
  t.is(await insecure.exitCode(), 0)
  // The untrusted client gave up during the TLS handshake: two WebSocket connections.
  await server.waitFor('stderr', /^#2 disconnected: 1000$/)

  const missing = await run(t, ['connect', '--ca', `${pki.caFile}.missing`, url])
  t.is(missing.code, 2)
  t.regex(missing.stderr, /^error: cannot read the CA file/)
  const half = await run(t, ['serve', '--port', '0', '--cert', pki.server.certificateFile])
  t.is(half.code, 2)
  t.regex(half.stderr, /^error: --cert and --key go together/)
})

test('serve --echo and connect: text and binary round trips, close 1000 when stdin ends, logs on stderr', async (t) => {
  const { server, port } = await serve(t, ['--echo'])

  const client = cli(t, ['connect', `ws://127.0.0.1:${port}/room?x=1`])
  await client.waitFor('stderr', new RegExp(`^connected to ws://127\\.0\\.0\\.1:${port}/room\\?x=1$`))
  await server.waitFor('stderr', /^#1 connected from 127\.0\.0\.1:\d+ \(\/room\?x=1\)$/)
  client.send('hello')
  await client.waitFor('stdout', /^< hello$/)
  client.send('héllo wörld ✓')
  await client.waitFor('stdout', /^< héllo wörld ✓$/)
  client.end()
  t.is(await client.exitCode(), 0)
  t.deepEqual(client.stdout, ['< hello', '< héllo wörld ✓'])
  t.true(client.stderr.includes('closed: 1000'), client.stderr.join('\n'))
  await server.waitFor('stderr', /^#1 disconnected: 1000$/)

  // --binary: lines go out as binary messages and come back printed as hex.
  const binary = cli(t, ['connect', '--binary', `127.0.0.1:${port}`])
  binary.send('bin')
  await binary.waitFor('stdout', /^< \[binary, 3 bytes\] 62696e$/)
  binary.end()
  t.is(await binary.exitCode(), 0)

  // Lines piped before the handshake finished are sent once it has; --wait keeps the connection
  // open for the replies after stdin ended.
  const piped = cli(t, ['connect', '--wait', '1', `ws://127.0.0.1:${port}/`])
  piped.send('one')
  piped.send('two')
  piped.end()
  t.is(await piped.exitCode(), 0)
  t.deepEqual(piped.stdout, ['< one', '< two'])

  server.child.kill('SIGTERM')
  t.is(await server.exitCode(), 0)
})

test('serve: SIGINT closes the clients with 1001 and exits with 0', async (t) => {
  const { server, port } = await serve(t, ['--echo'])
  const client = cli(t, ['connect', `ws://127.0.0.1:${port}/`])
  await server.waitFor('stderr', /^#1 connected/)
  server.child.kill('SIGINT')
  t.is(await server.exitCode(), 0)
  t.is(await client.exitCode(), 0, 'going away (1001) is a normal close')
  t.true(client.stderr.includes('closed: 1001 server shutting down'), client.stderr.join('\n'))
})

test('serve --broadcast: a message reaches every other client, not its sender', async (t) => {
  const { server, port } = await serve(t, ['--broadcast'])
  const alice = cli(t, ['connect', `ws://127.0.0.1:${port}/`])
  await server.waitFor('stderr', /^#1 connected/)
  const bob = cli(t, ['connect', `ws://127.0.0.1:${port}/`])
  await server.waitFor('stderr', /^#2 connected/)
  await bob.waitFor('stderr', /^connected to/)

  alice.send('from alice')
  await bob.waitFor('stdout', /^< from alice$/)
  bob.send('from bob')
  await alice.waitFor('stdout', /^< from bob$/)
  // Had alice got her own message, it would have come before bob's (one server, in order).
  t.deepEqual(alice.stdout, ['< from bob'])
  t.deepEqual(bob.stdout, ['< from alice'])

  alice.end()
  bob.end()
  t.is(await alice.exitCode(), 0)
  t.is(await bob.exitCode(), 0)
  await server.waitFor('stderr', /^#2 disconnected: 1000$/)
})

test('serve without a mode: incoming messages are printed, stdin lines go to every client', async (t) => {
  const { server, port } = await serve(t, [])
  const client = cli(t, ['connect', `ws://127.0.0.1:${port}/`])
  await server.waitFor('stderr', /^#1 connected/)
  client.send('up')
  await server.waitFor('stdout', /^<#1 up$/)
  server.send('down')
  await client.waitFor('stdout', /^< down$/)
  client.end()
  t.is(await client.exitCode(), 0)
})

test('serve: an invalid or busy port is reported', async (t) => {
  const bad = await run(t, ['serve', '--port', 'http'])
  t.is(bad.code, 2)
  t.regex(bad.stderr, /^error: invalid port 'http'/)

  const { port } = await serve(t, ['--echo'])
  const busy = await run(t, ['serve', '--port', String(port), '--echo'])
  t.is(busy.code, 1)
  t.regex(busy.stderr, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}`))
})

test('connect against a ws server: --header and --subprotocol reach it, messages both ways, its close code is printed', async (t) => {
  const offered: string[][] = []
  const wss = new WSServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => {
      offered.push([...protocols])
      return protocols.has('superchat') ? 'superchat' : false
    },
  })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  const port = (wss.address() as net.AddressInfo).port
  const received: string[] = []
  const connected = new Promise<Record<string, string | string[] | undefined>>((resolve) => {
    wss.on('connection', (peer, request) => {
      peer.send('welcome')
      peer.send(Buffer.from([1, 2, 3]))
      peer.on('message', (data, isBinary) => {
        received.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`)
        if (data.toString() === 'bye') peer.close(1000, 'done')
      })
      resolve(request.headers)
    })
  })

  const client = cli(t, [
    'connect',
    '--header', 'X-Token: secret',
    '-H', 'X-Multi: a',
    '-H', 'x-multi: b',
    '--subprotocol', 'chat',
    '-s', 'superchat',
    `ws://127.0.0.1:${port}/path`,
  ])
  const headers = await connected
  t.is(headers['x-token'], 'secret')
  t.is(headers['x-multi'], 'a, b')
  t.deepEqual(offered, [['chat', 'superchat']])
  await client.waitFor('stderr', /^connected to ws:\/\/127\.0\.0\.1:\d+\/path \(subprotocol: superchat\)$/)
  await client.waitFor('stdout', /^< \[binary, 3 bytes\] 010203$/)
  t.deepEqual(client.stdout, ['< welcome', '< [binary, 3 bytes] 010203'])

  client.send('hi there')
  client.send('bye')
  t.is(await client.exitCode(), 0)
  t.true(client.stderr.includes('closed: 1000 done'), client.stderr.join('\n'))
  t.deepEqual(received, ['text:hi there', 'text:bye'])
})

test('connect: a close code other than 1000/1001 exits with 1', async (t) => {
  const wss = new WSServer({ host: '127.0.0.1', port: 0 })
  t.teardown(() => wss.close())
  await once(wss, 'listening')
  wss.on('connection', (peer) => peer.close(4001, 'kicked'))
  const client = cli(t, ['connect', `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/`])
  t.is(await client.exitCode(), 1)
  t.true(client.stderr.includes('closed: 4001 kicked'), client.stderr.join('\n'))
})

// `npm run bench`: the benchmark suite. Builds the Rust load generator (crates/bench), prepares
// uWebSockets.js (bench/uws-compat.mjs) and Bun (bench/bun-runtime.mjs), then measures each server
// (bench/servers/) and client (bench/clients/) in its own process against poco-ws-bench in another,
// prints markdown tables (the engine targets of bench/targets.mjs first) and writes
// bench/RESULTS.md (a full run) or bench/.work/RESULTS-partial.md (--quick, --only).
//
// Flags:
//   --quick            short smoke run: 1 run per figure, short windows, 2,000 idle connections
//                      and fan-out subscribers
//   --only <regex>     run only the measurements whose id matches (case-insensitive), ids like
//                      echo:pinned:ws:64x1KiB  echo:unpinned:bun:1x32B  latency:pinned:poco-frame
//                      echo:pinned:uws-shared:64x1KiB-deflate  client:ws:64x64KiB  idle:uws
//                      idle-after-echo:bun  idle-deflate:poco-message-shared  handshakes:poco-message  fanout:uws:1KiB
//                      redis:redis  redis:ipc
//   --runs <n>         runs per figure (median reported; default 3, --quick 1)
//   --duration <s>     measurement window per echo/latency/client/handshake/fan-out figure (1.5)
//   --warmup <s>       warmup before each window (default 0.5)
//   --idle <n>         connections for the idle-RSS figures (default 10000)
//   --subscribers <n>  subscriber connections for the fan-out figures (default 10000)
//   --poco-env K=V     extra environment for our servers and clients only (repeatable), e.g.
//                      --poco-env POCO_WS_THREADS=2. The whole environment of `npm run bench` is
//                      passed to every server and client unchanged anyway.
//   --out <file>       where to write the results (markdown)
//   --no-build         do not run cargo build (use the existing target/release/poco-ws-bench)
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { BUN_ENV, prepareBun } from './bun-runtime.mjs'
import { engineTargets, evaluateTargets } from './targets.mjs'
import { prepareUws } from './uws-compat.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const WORK = join(BENCH, '.work')

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { quick: false, only: null, runs: null, duration: null, warmup: null, idle: null, subscribers: null, pocoEnv: {}, out: null, build: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--quick') o.quick = true
    else if (a === '--only') o.only = new RegExp(value(), 'i')
    else if (a === '--runs') o.runs = Number(value())
    else if (a === '--duration') o.duration = Number(value())
    else if (a === '--warmup') o.warmup = Number(value())
    else if (a === '--idle') o.idle = Number(value())
    else if (a === '--subscribers') o.subscribers = Number(value())
    else if (a === '--out') o.out = value()
    else if (a === '--no-build') o.build = false
    else if (a === '--poco-env') {
      const kv = value()
      const eq = kv.indexOf('=')
      if (eq <= 0) usage(`--poco-env expects KEY=VALUE, got ${kv}`)
      o.pocoEnv[kv.slice(0, eq)] = kv.slice(eq + 1)
    } else if (a === '--help' || a === '-h') usage()
    else usage(`unknown argument ${a}`)
  }
  const q = o.quick
  o.runs ??= q ? 1 : 3
  o.duration ??= q ? 0.5 : 1.5
  o.warmup ??= q ? 0.25 : 0.5
  o.idle ??= q ? 2000 : 10000
  o.subscribers ??= q ? 2000 : 10000
  o.idleSettle = q ? 1 : 2
  o.latencyDuration = q ? 1 : Math.max(2, o.duration)
  o.out ??= q || o.only ? join(WORK, 'RESULTS-partial.md') : join(BENCH, 'RESULTS.md')
  return o
}

function usage(error) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n')
  const text = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')))
  if (error) console.error(`bench: ${error}\n`)
  console.error(text.map((l) => l.slice(3)).join('\n'))
  process.exit(error ? 2 : 0)
}

const opts = parseArgs(process.argv.slice(2))

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked and killed when we exit, fail or are interrupted.

const children = new Set()
let stopping = false

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
}
/** Kills every child, waits (briefly) until they are gone, exits. */
function shutdown(code) {
  stopping = true
  const pending = [...children].map((c) => c.exited)
  killAll()
  Promise.race([Promise.all(pending), sleep(2000)]).then(() => process.exit(code))
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping`)
    shutdown(130)
  })
}
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (error) => {
    console.error('bench: failed:', error)
    shutdown(1)
  })
}
// Hard limit for the whole run, whatever happens.
const watchdog = setTimeout(() => {
  console.error('bench: the run took too long, stopping')
  shutdown(1)
}, (opts.quick ? 8 : 60) * 60_000)
watchdog.unref()

const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0

/** This process's open-file limits (children inherit them). */
function fdLimits() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files')) ?? ''
  const [soft, hard] = line.trim().split(/\s+/).slice(3, 5).map((x) => (x === 'unlimited' ? Infinity : Number(x)))
  return { soft, hard }
}
const FD_LIMITS = fdLimits()
const canRaiseFds = spawnSync('prlimit', ['--version']).status === 0

/**
 * Starts a tracked child. `cpu` pins it (taskset); `fds` is how many open files it needs: when
 * the inherited soft limit is lower, the child starts under `prlimit` with the hard limit.
 */
function launch(cmd, args, { env = process.env, cpu = null, fds = 0 } = {}) {
  if (stopping) throw new Error('stopping')
  let [c, a] = [cmd, args]
  if (fds > FD_LIMITS.soft && canRaiseFds && Number.isFinite(FD_LIMITS.hard)) [c, a] = ['prlimit', [`--nofile=${FD_LIMITS.hard}`, c, ...a]]
  if (cpu !== null && canPin) [c, a] = ['taskset', ['-c', String(cpu), c, ...a]]
  const child = spawn(c, a, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT })
  children.add(child)
  child.stderrTail = ''
  child.stderr.on('data', (d) => {
    child.stderrTail = (child.stderrTail + d).slice(-2000)
  })
  child.lines = []
  child.lineWaiters = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    child.lines.push(line)
    for (const w of child.lineWaiters) w()
  })
  child.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child)
      child.exitCode_ = code ?? signal
      resolve(code ?? signal)
      for (const w of child.lineWaiters) w()
    }),
  )
  return child
}

function parseJson(line) {
  try {
    const v = JSON.parse(line)
    return v && typeof v === 'object' ? v : null
  } catch {
    return null
  }
}

/** Waits for a JSON line of `child` that satisfies `accept`; rejects on exit or timeout. */
function waitJson(child, accept, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let seen = 0
    const check = () => {
      for (; seen < child.lines.length; seen++) {
        const v = parseJson(child.lines[seen])
        if (v && accept(v)) return done(null, v)
      }
      if (child.exitCode_ !== undefined) done(new Error(`${what} exited (${child.exitCode_}) ${child.stderrTail.trim().split('\n').slice(-3).join(' | ')}`))
    }
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs)
    const done = (error, v) => {
      clearTimeout(timer)
      child.lineWaiters = child.lineWaiters.filter((w) => w !== check)
      error ? reject(error) : resolve(v)
    }
    child.lineWaiters.push(check)
    check()
  })
}

async function stop(child) {
  if (child.exitCode_ !== undefined) return
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 2000)
  await child.exited
  clearTimeout(t)
}

/** Runs a child to completion and returns its last JSON line (rejects on failure or timeout). */
async function runJson(cmd, args, options, timeoutMs, what) {
  const child = launch(cmd, args, options)
  try {
    const code = await Promise.race([child.exited, sleep(timeoutMs).then(() => 'timeout')])
    if (code === 'timeout') throw new Error(`${what}: timed out after ${timeoutMs} ms`)
    const json = child.lines.map(parseJson).filter(Boolean).pop()
    if (code === 3 && json?.unavailable) return json
    if (code !== 0 || !json) throw new Error(`${what}: exit ${code}: ${child.stderrTail.trim().split('\n').slice(-3).join(' | ')}`)
    return json
  } finally {
    await stop(child)
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function log(message) {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4)
  console.error(`[${t}s] ${message}`)
}
const started = Date.now()

// ---------------------------------------------------------------------------------------------
// What is measured

const SIZES = [
  { size: 32, label: '32 B', id: '32B', depth: 16 },
  { size: 1024, label: '1 KiB', id: '1KiB', depth: 16 },
  { size: 64 * 1024, label: '64 KiB', id: '64KiB', depth: 4 },
  { size: 1024 * 1024, label: '1 MiB', id: '1MiB', depth: 1 },
]
const CONNECTIONS = [1, 64]
const WORKLOADS = CONNECTIONS.flatMap((connections) => SIZES.map((s) => ({ connections, ...s, id: `${connections}x${s.id}` })))
const PIN_MODES = ['pinned', 'unpinned']
const SERVER_CPU = 0
const LOAD_CPU = 1

const SERVERS = [
  { name: 'ws', label: 'ws + bufferutil', script: 'servers/ws.js' },
  { name: 'uws', label: 'uWebSockets.js', script: 'servers/uws.js' },
  { name: 'bun', label: 'Bun', script: 'servers/bun.js', runtime: 'bun' },
  { name: 'poco-frame', label: 'ours, frame API', script: 'servers/poco-frame.js', ours: true },
  { name: 'poco-message', label: 'ours, message API', script: 'servers/poco-message.js', ours: true },
]
const serverNamed = (name) => SERVERS.find((s) => s.name === name)
// permessage-deflate rows: one server variant each, started with DEFLATE (see bench/servers/*.js).
const DEFLATE_WORKLOAD = { connections: 64, size: 1024, depth: 16, label: '1 KiB compressible text', id: '64x1KiB-deflate' }
const DEFLATE_VARIANTS = [
  { name: 'ws', server: 'ws', env: { DEFLATE: '1' }, label: 'ws + bufferutil (perMessageDeflate, threshold 0)' },
  { name: 'uws', server: 'uws', env: { DEFLATE: 'DEDICATED_COMPRESSOR_3KB' }, label: 'uWebSockets.js (DEDICATED_COMPRESSOR_3KB)' },
  { name: 'uws-shared', server: 'uws', env: { DEFLATE: 'SHARED_COMPRESSOR' }, label: 'uWebSockets.js (SHARED_COMPRESSOR)' },
  { name: 'bun', server: 'bun', env: { DEFLATE: '1' }, label: 'Bun (perMessageDeflate: true)' },
  { name: 'poco-message', server: 'poco-message', env: { DEFLATE: '1' }, label: 'ours, message API (perMessageDeflate, threshold 0)' },
]
// Idle with permessage-deflate: each connection exchanges one compressed 1 KiB text, then idles.
const IDLE_DEFLATE_VARIANTS = [
  { name: 'ws-takeover', server: 'ws', env: { DEFLATE: '1' }, args: ['--echo-bytes', 1024, '--deflate-offer', 'permessage-deflate; client_max_window_bits'], label: 'ws + bufferutil, context takeover' },
  { name: 'ws-no-takeover', server: 'ws', env: { DEFLATE: '1' }, args: ['--echo-bytes', 1024, '--deflate-offer', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover'], label: 'ws + bufferutil, no context takeover' },
  { name: 'poco-message-takeover', server: 'poco-message', env: { DEFLATE: '1' }, args: ['--echo-bytes', 1024, '--deflate-offer', 'permessage-deflate; client_max_window_bits'], label: 'ours, context takeover' },
  { name: 'poco-message-no-takeover', server: 'poco-message', env: { DEFLATE: '1' }, args: ['--echo-bytes', 1024, '--deflate-offer', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover'], label: 'ours, no context takeover' },
  { name: 'poco-message-shared', server: 'poco-message', env: { DEFLATE: 'shared' }, args: ['--echo-bytes', 1024, '--deflate-offer', 'permessage-deflate; client_no_context_takeover'], label: 'ours, shared compressor' },
]
// Fan-out: bench/servers/fanout/<name>.js, one publisher and opts.subscribers subscribers.
const FANOUT_SERVERS = ['ws', 'uws', 'bun', 'poco-message'].map((name) => ({ ...serverNamed(name), script: `servers/fanout/${name}.js` }))
const FANOUT_SIZES = SIZES.filter((s) => s.size <= 1024)
// Messages in flight, summed over subscribers (see crates/bench/src/fanout.rs). 16 holds Bun and
// uWS back at 10,000 subscribers; above about 32 uWS falls off a cliff (48 in flight: ~0.5 M
// deliveries/s against ~4.5 M at 32, CPU busy either way), which would measure that cliff and not
// delivery.
const FANOUT_DEPTH = 32
// Idle after traffic: every connection echoes one message of this size, then stays idle.
const ECHOED_BYTES = 64 * 1024
const CLIENTS = [
  { name: 'ws', label: 'ws + bufferutil', script: 'clients/ws.js' },
  { name: 'poco-frame', label: 'ours, frame API', script: 'clients/poco-frame.js', ours: true },
  { name: 'poco-message', label: 'ours, message API', script: 'clients/poco-message.js', ours: true },
]

const wanted = (id) => !opts.only || opts.only.test(id)

// ---------------------------------------------------------------------------------------------
// Setup: build, uWS, versions

function setup() {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
    console.error('bench: dist/index.js is missing: run `npm install` (or `npm run build`) first')
    process.exit(1)
  }
  mkdirSync(WORK, { recursive: true })
  const targetDir = process.env.CARGO_TARGET_DIR ? join(ROOT, process.env.CARGO_TARGET_DIR) : join(ROOT, 'target')
  const bin = join(targetDir, 'release', 'poco-ws-bench')
  if (opts.build) {
    log('building the load generator: cargo build --release -p poco-websocket-bench')
    const r = spawnSync('cargo', ['build', '--release', '-p', 'poco-websocket-bench'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    if (r.status !== 0) {
      console.error('bench: cargo build failed')
      process.exit(1)
    }
  }
  if (!existsSync(bin)) {
    console.error(`bench: ${bin} is missing`)
    process.exit(1)
  }
  let uws
  try {
    uws = prepareUws(WORK)
    log(`uWebSockets.js ${uws.version}: ${uws.notes}`)
  } catch (error) {
    uws = { error: String(error && error.message) }
    log(`uWebSockets.js unavailable: ${uws.error}`)
  }
  let bun
  try {
    bun = prepareBun()
    log(`Bun ${bun.version}: ${relative(ROOT, bun.path)}`)
  } catch (error) {
    bun = { error: String(error && error.message) }
    log(`Bun unavailable: ${bun.error}`)
  }
  return { bin, uws, bun }
}

function versions(uws, bun) {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
    } catch {
      return '?'
    }
  }
  const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
  const git = (args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || ''
  const commit = git(['rev-parse', '--short', 'HEAD'])
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) ? '+changes' : ''
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? '?'
  return {
    node: process.version,
    ws: pkg('ws'),
    bufferutil: pkg('bufferutil'),
    uws: uws.version ?? pkg('@btc-vision/uwebsockets.js'),
    bun: bun.version ? `${bun.version} (${bun.package})` : `unavailable: ${bun.error}`,
    ours: `${ours} (${commit}${dirty})`,
    cargo: spawnSync('cargo', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?',
    cpu: model,
    cores: os.cpus().length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    glibc: process.report?.getReport().header.glibcVersionRuntime ?? '?',
  }
}

// ---------------------------------------------------------------------------------------------
// Servers

function serverEnv(server, ctx) {
  if (server.name === 'uws') return { ...process.env, ...ctx.uws.env, UWS_MODULE: ctx.uws.modulePath }
  if (server.name === 'bun') return { ...process.env, ...BUN_ENV }
  if (server.ours) return { ...process.env, ...opts.pocoEnv }
  return { ...process.env }
}

/**
 * Starts a server (its `script`, run by Node.js or Bun) with `env` added; resolves to
 * { child, port, pid } or { unavailable }. `fds`: open files it needs (see launch).
 */
async function startServer(server, ctx, cpu, { env = {}, fds = 0 } = {}) {
  if (server.name === 'uws' && ctx.uws.error) return { unavailable: `uWebSockets.js: ${ctx.uws.error}` }
  if (server.runtime === 'bun' && ctx.bun.error) return { unavailable: `Bun: ${ctx.bun.error}` }
  const port = await freePort()
  const runtime = server.runtime === 'bun' ? ctx.bun.path : process.execPath
  const child = launch(runtime, [join(BENCH, server.script)], { env: { ...serverEnv(server, ctx), ...env, PORT: String(port) }, cpu, fds })
  try {
    const ready = await waitJson(child, (v) => v.ready || v.unavailable, 20_000, `${server.name} server`)
    if (ready.unavailable) {
      await stop(child)
      return { unavailable: ready.unavailable }
    }
    return { child, port: ready.port, pid: ready.pid }
  } catch (error) {
    await stop(child)
    throw error
  }
}

async function bench(ctx, mode, args, cpu, timeoutMs, fds = 0) {
  return runJson(ctx.bin, [mode, ...args.map(String)], { cpu, fds }, timeoutMs, `poco-ws-bench ${mode}`)
}

/** Open files for a process holding `connections` sockets (plus its own files and listener). */
const fdsFor = (connections) => connections + 256

/** Logs once per section when the hard open-file limit cannot hold `connections` sockets. */
function checkFds(connections, what) {
  if (FD_LIMITS.hard >= fdsFor(connections)) return true
  log(`${what}: the open-file limit (hard ${FD_LIMITS.hard}) is below ${fdsFor(connections)}: raise it (ulimit -Hn) or lower the count`)
  return false
}

function vmRssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s*(\d+)\s*kB/.exec(status)[1])
}

// ---------------------------------------------------------------------------------------------
// Results: results[key] = { values: [...], errors: [...], unavailable }

const results = new Map()
function record(key, value) {
  if (!results.has(key)) results.set(key, { values: [], errors: [], unavailable: null })
  const r = results.get(key)
  if (value instanceof Error) r.errors.push(value.message)
  else if (value && value.unavailable) r.unavailable = value.unavailable
  else r.values.push(value)
}

function rotate(list, by) {
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

// ---------------------------------------------------------------------------------------------
// Sections

async function echoSection(ctx) {
  const timeout = (opts.warmup + opts.duration) * 1000 + 30_000
  for (let run = 0; run < opts.runs; run++) {
    for (const pin of PIN_MODES) {
      for (const server of rotate(SERVERS, run)) {
        const todo = WORKLOADS.filter((w) => wanted(`echo:${pin}:${server.name}:${w.id}`))
        if (todo.length === 0) continue
        const pinned = pin === 'pinned'
        log(`echo ${pin} ${server.name} (run ${run + 1}/${opts.runs})`)
        let srv = null
        for (const w of todo) {
          const key = `echo:${pin}:${server.name}:${w.id}`
          try {
            if (!srv || (srv.child && srv.child.exitCode_ !== undefined)) srv = await startServer(server, ctx, pinned ? SERVER_CPU : null)
            if (srv.unavailable) {
              record(key, srv)
              continue
            }
            const r = await bench(ctx, 'echo', ['--port', srv.port, '--connections', w.connections, '--size', w.size, '--depth', w.depth,
              '--warmup', opts.warmup, '--duration', opts.duration], pinned ? LOAD_CPU : null, timeout)
            record(key, r.msgs_per_sec)
            if (r.errors) log(`  ${key}: ${r.errors} connection errors (${r.first_error})`)
          } catch (error) {
            log(`  ${key}: ${error.message}`)
            record(key, error)
          }
        }
        if (srv?.child) await stop(srv.child)
      }
    }
  }
}

async function latencySection(ctx) {
  const timeout = (opts.warmup + opts.latencyDuration) * 1000 + 30_000
  for (let run = 0; run < opts.runs; run++) {
    for (const pin of PIN_MODES) {
      const pinned = pin === 'pinned'
      for (const server of rotate(SERVERS, run)) {
        const key = `latency:${pin}:${server.name}`
        if (!wanted(key)) continue
        log(`latency ${pin} ${server.name} (run ${run + 1}/${opts.runs})`)
        let srv = null
        try {
          srv = await startServer(server, ctx, pinned ? SERVER_CPU : null)
          if (srv.unavailable) {
            record(key, srv)
            continue
          }
          const r = await bench(ctx, 'latency', ['--port', srv.port, '--size', 32, '--warmup', opts.warmup, '--duration', opts.latencyDuration],
            pinned ? LOAD_CPU : null, timeout)
          record(key, r)
        } catch (error) {
          log(`  ${key}: ${error.message}`)
          record(key, error)
        } finally {
          if (srv?.child) await stop(srv.child)
        }
      }
    }
  }
}

async function clientSection(ctx) {
  const todoAll = CLIENTS.flatMap((c) => WORKLOADS.map((w) => ({ c, w, key: `client:${c.name}:${w.id}` }))).filter((t) => wanted(t.key))
  if (todoAll.length === 0) return
  const timeout = (opts.warmup + opts.duration) * 1000 + 30_000
  // One fixed fast server for every client: poco-ws-bench serve, on the load core.
  const serve = launch(ctx.bin, ['serve', '--port', '0'], { cpu: LOAD_CPU })
  try {
    const { port } = await waitJson(serve, (v) => v.ready, 10_000, 'poco-ws-bench serve')
    for (let run = 0; run < opts.runs; run++) {
      for (const client of rotate(CLIENTS, run)) {
        const todo = todoAll.filter((t) => t.c === client)
        if (todo.length === 0) continue
        log(`client ${client.name} (run ${run + 1}/${opts.runs})`)
        for (const { w, key } of todo) {
          const env = {
            ...process.env, ...(client.ours ? opts.pocoEnv : {}),
            PORT: String(port), CONNECTIONS: String(w.connections), SIZE: String(w.size), DEPTH: String(w.depth),
            WARMUP: String(opts.warmup), DURATION: String(opts.duration),
          }
          try {
            const r = await runJson(process.execPath, [join(BENCH, client.script)], { env, cpu: SERVER_CPU }, timeout, `${client.name} client`)
            if (r.unavailable) {
              for (const t of todo) record(t.key, r)
              break
            }
            record(key, r.msgs_per_sec)
          } catch (error) {
            log(`  ${key}: ${error.message}`)
            record(key, error)
          }
        }
      }
    }
  } finally {
    await stop(serve)
  }
}

/**
 * RSS per idle connection: `variants` (each a server with its environment and the idle client's
 * extra arguments) hold opts.idle connections each; keys are `${prefix}:${variant.name}`.
 */
async function idleSection(ctx, { prefix, variants }) {
  if (!variants.some((v) => wanted(`${prefix}:${v.name}`))) return
  checkFds(opts.idle, prefix)
  for (let run = 0; run < opts.runs; run++) {
    for (const variant of rotate(variants, run)) {
      const key = `${prefix}:${variant.name}`
      if (!wanted(key)) continue
      log(`${prefix} RSS ${variant.name}, ${opts.idle} connections (run ${run + 1}/${opts.runs})`)
      let srv = null
      let idle = null
      try {
        srv = await startServer(serverNamed(variant.server), ctx, null, { env: variant.env, fds: fdsFor(opts.idle) })
        if (srv.unavailable) {
          record(key, srv)
          continue
        }
        await sleep(500)
        const before = vmRssKiB(srv.pid)
        idle = launch(ctx.bin, ['idle', '--port', srv.port, '--connections', opts.idle, ...variant.args, '--hold', 180], { fds: fdsFor(opts.idle) })
        const ready = await waitJson(idle, (v) => v.ready, 150_000, 'poco-ws-bench idle')
        await sleep(opts.idleSettle * 1000)
        const after = vmRssKiB(srv.pid)
        record(key, { perConnBytes: ((after - before) * 1024) / opts.idle, beforeKiB: before, afterKiB: after, connectSeconds: ready.seconds })
      } catch (error) {
        log(`  ${key}: ${error.message}`)
        record(key, error)
      } finally {
        if (idle) await stop(idle)
        if (srv?.child) await stop(srv.child)
      }
    }
  }
}

/** Every server, its idle client echoing one message of `echoBytes` first (none for 0). */
const idleVariants = (echoBytes) => SERVERS.map((server) => ({ name: server.name, server: server.name, env: {}, args: ['--echo-bytes', echoBytes] }))

/**
 * Across two server processes: bench/redis-fanout.mjs, node A publishing, node B's subscribers
 * receiving, through the Redis adapter and a local relay for comparison (needs redis-server).
 */
async function redisSection() {
  const transports = ['redis', 'ipc'].filter((t) => wanted(`redis:${t}`))
  if (transports.length === 0) return
  for (let run = 0; run < opts.runs; run++) {
    for (const transport of rotate(transports, run)) {
      const key = `redis:${transport}`
      log(`across processes, ${transport} (run ${run + 1}/${opts.runs})`)
      const messages = opts.quick ? 20_000 : 100_000
      const child = launch(process.execPath, [join(BENCH, 'redis-fanout.mjs'), '--transport', transport, '--messages', messages, '--subscribers', 2])
      try {
        const r = await waitJson(child, (v) => v.transport === transport, 180_000, 'bench/redis-fanout.mjs')
        record(key, { msgs: r.throughput.perSecond, p50: r.latency.p50, p99: r.latency.p99, missed: r.throughput.missed + r.latency.missed })
      } catch (error) {
        log(`  ${key}: ${error.message}`)
        record(key, { unavailable: error.message })
      } finally {
        await stop(child)
      }
    }
  }
}

/** permessage-deflate: 64 connections echoing a compressed 1 KiB text, pinned. */
async function deflateSection(ctx) {
  const w = DEFLATE_WORKLOAD
  const timeout = (opts.warmup + opts.duration) * 1000 + 30_000
  for (let run = 0; run < opts.runs; run++) {
    for (const variant of rotate(DEFLATE_VARIANTS, run)) {
      const key = `echo:pinned:${variant.name}:${w.id}`
      if (!wanted(key)) continue
      log(`echo pinned deflate ${variant.name} (run ${run + 1}/${opts.runs})`)
      let srv = null
      try {
        srv = await startServer(serverNamed(variant.server), ctx, SERVER_CPU, { env: variant.env })
        if (srv.unavailable) {
          record(key, srv)
          continue
        }
        const r = await bench(ctx, 'echo', ['--port', srv.port, '--connections', w.connections, '--size', w.size, '--depth', w.depth,
          '--warmup', opts.warmup, '--duration', opts.duration, '--deflate'], LOAD_CPU, timeout)
        if (r.unavailable) record(key, r)
        else record(key, { msgs: r.msgs_per_sec, compressedShare: r.echoes ? r.compressed_echoes / r.echoes : 0, wireBytes: r.wire_bytes })
        if (r.errors) log(`  ${key}: ${r.errors} connection errors (${r.first_error})`)
      } catch (error) {
        log(`  ${key}: ${error.message}`)
        record(key, error)
      } finally {
        if (srv?.child) await stop(srv.child)
      }
    }
  }
}

/** Fan-out: one publisher, opts.subscribers subscribers, topic 'bench'; a fresh server per figure, pinned. */
async function fanoutSection(ctx) {
  if (!FANOUT_SERVERS.some((server) => FANOUT_SIZES.some((size) => wanted(`fanout:${server.name}:${size.id}`)))) return
  checkFds(opts.subscribers + 1, 'fanout')
  const fds = fdsFor(opts.subscribers + 1)
  const timeout = (opts.warmup + opts.duration) * 1000 + 120_000
  for (let run = 0; run < opts.runs; run++) {
    for (const server of rotate(FANOUT_SERVERS, run)) {
      for (const size of FANOUT_SIZES) {
        const key = `fanout:${server.name}:${size.id}`
        if (!wanted(key)) continue
        log(`fanout ${server.name} ${size.label}, ${opts.subscribers} subscribers (run ${run + 1}/${opts.runs})`)
        let srv = null
        try {
          srv = await startServer(server, ctx, SERVER_CPU, { fds })
          if (srv.unavailable) {
            record(key, srv)
            continue
          }
          const r = await bench(ctx, 'fanout', ['--port', srv.port, '--subscribers', opts.subscribers, '--size', size.size, '--depth', FANOUT_DEPTH,
            '--warmup', opts.warmup, '--duration', opts.duration, '--server-pid', srv.pid], LOAD_CPU, timeout, fds)
          record(key, { deliveries: r.deliveries_per_sec, cpuShare: r.server_cpu_seconds / r.seconds })
          if (r.errors) log(`  ${key}: ${r.errors} connection errors (${r.first_error})`)
        } catch (error) {
          log(`  ${key}: ${error.message}`)
          record(key, error)
        } finally {
          if (srv?.child) await stop(srv.child)
        }
      }
    }
  }
}

async function handshakeSection(ctx) {
  const timeout = (opts.warmup + opts.duration) * 1000 + 30_000
  for (let run = 0; run < opts.runs; run++) {
    for (const server of rotate(SERVERS, run)) {
      const key = `handshakes:${server.name}`
      if (!wanted(key)) continue
      log(`handshakes ${server.name} (run ${run + 1}/${opts.runs})`)
      let srv = null
      try {
        srv = await startServer(server, ctx, SERVER_CPU)
        if (srv.unavailable) {
          record(key, srv)
          continue
        }
        const r = await bench(ctx, 'handshakes', ['--port', srv.port, '--workers', 8, '--warmup', opts.warmup, '--duration', opts.duration], LOAD_CPU, timeout)
        record(key, r.per_sec)
        if (r.errors) log(`  ${key}: ${r.errors} errors (${r.first_error})`)
      } catch (error) {
        log(`  ${key}: ${error.message}`)
        record(key, error)
      } finally {
        if (srv?.child) await stop(srv.child)
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (xs) => {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function cell(key, pick = (v) => v) {
  const r = results.get(key)
  if (!r) return { text: 'not run', value: null }
  if (r.unavailable) return { text: 'unavailable', value: null, reason: r.unavailable }
  const xs = r.values.map(pick)
  if (xs.length === 0) return { text: r.errors.length ? 'failed' : 'not run', value: null }
  const value = median(xs)
  const spread = xs.length > 1 && value ? (Math.max(...xs) - Math.min(...xs)) / value : null
  return { value, spread, n: xs.length, failed: r.errors.length }
}

const int = (x) => Math.round(x).toLocaleString('en-US')
const fixed = (x, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
const ratio = (a, b) => (a != null && b != null && b > 0 ? `${(a / b).toFixed(2)}×` : '–')
const pct = (c) => (c.spread == null ? '' : `±${Math.round((c.spread * 100) / 2)}%`)
const show = (c, fmt) => (c.value == null ? c.text : fmt(c.value) + (c.failed ? ` (${c.failed} failed)` : ''))
/** "0.95× / 1.10×": two ratios (p50 and p99) in one cell. */
const ratioPair = (a, b) => (a[0].value == null || b[0].value == null ? '–' : `${ratio(a[0].value, b[0].value)} / ${ratio(a[1].value, b[1].value)}`)

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const row of rows) out.push(`| ${row.join(' | ')} |`)
  return out.join('\n')
}

/** The medians of ws, uWS and Bun for the same figure: the references of the 'vs' columns. */
function references(keyOf, pick) {
  return ['ws', 'uws', 'bun'].map((name) => cell(keyOf(name), pick).value)
}
const VS_HEADER = ['vs ws', 'vs uWS', 'vs Bun']
const vsCells = (value, refs) => refs.map((r) => ratio(value, r))

function echoTable(pin) {
  const rows = []
  for (const w of WORKLOADS) {
    const refs = references((name) => `echo:${pin}:${name}:${w.id}`)
    for (const server of SERVERS) {
      const key = `echo:${pin}:${server.name}:${w.id}`
      if (!results.has(key)) continue
      const c = cell(key)
      rows.push([
        server.label, String(w.connections), w.label, show(c, int), c.value == null ? '–' : fixed((c.value * w.size) / 1e6, 1),
        ...vsCells(c.value, refs), pct(c),
      ])
    }
  }
  if (rows.length === 0) return null
  return table(['Server', 'Conns', 'Size', 'msg/s', 'MB/s', ...VS_HEADER, 'spread'], rows)
}

function deflateTable() {
  const w = DEFLATE_WORKLOAD
  const keyOf = (name) => `echo:pinned:${name}:${w.id}`
  const refs = references(keyOf, (v) => v.msgs)
  const rows = []
  for (const variant of DEFLATE_VARIANTS) {
    const key = keyOf(variant.name)
    if (!results.has(key)) continue
    const c = cell(key, (v) => v.msgs)
    const share = cell(key, (v) => v.compressedShare)
    rows.push([variant.label, show(c, int), c.value == null ? '–' : fixed((c.value * w.size) / 1e6, 1),
      share.value == null ? '–' : `${Math.round(share.value * 100)}%`, ...vsCells(c.value, refs), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'msg/s', 'MB/s (uncompressed)', 'echoes compressed', ...VS_HEADER, 'spread'], rows)
}

function latencyTable() {
  const rows = []
  for (const pin of PIN_MODES) {
    const pair = (name) => [cell(`latency:${pin}:${name}`, (v) => v.p50_us), cell(`latency:${pin}:${name}`, (v) => v.p99_us)]
    const uws = pair('uws')
    const bun = pair('bun')
    for (const server of SERVERS) {
      const key = `latency:${pin}:${server.name}`
      if (!results.has(key)) continue
      const [p50, p99] = pair(server.name)
      const p999 = cell(key, (v) => v.p999_us)
      const rt = cell(key, (v) => v.round_trips / opts.latencyDuration)
      rows.push([server.label, pin, show(p50, (x) => fixed(x, 1)), show(p99, (x) => fixed(x, 1)), show(p999, (x) => fixed(x, 1)), show(rt, int),
        ratioPair([p50, p99], uws), ratioPair([p50, p99], bun)])
    }
  }
  if (rows.length === 0) return null
  return table(['Server', 'CPUs', 'p50 µs', 'p99 µs', 'p99.9 µs', 'round trips/s', 'p50 / p99 vs uWS', 'p50 / p99 vs Bun'], rows)
}

function clientTable() {
  const rows = []
  for (const w of WORKLOADS) {
    const ws = cell(`client:ws:${w.id}`).value
    for (const client of CLIENTS) {
      const key = `client:${client.name}:${w.id}`
      if (!results.has(key)) continue
      const c = cell(key)
      rows.push([client.label, String(w.connections), w.label, show(c, int), c.value == null ? '–' : fixed((c.value * w.size) / 1e6, 1), ratio(c.value, ws), pct(c)])
    }
  }
  if (rows.length === 0) return null
  return table(['Client', 'Conns', 'Size', 'msg/s', 'MB/s', 'vs ws', 'spread'], rows)
}

function idleTable(prefix) {
  const perConn = (v) => v.perConnBytes
  const refs = references((name) => `${prefix}:${name}`, perConn)
  const rows = []
  for (const server of SERVERS) {
    const key = `${prefix}:${server.name}`
    if (!results.has(key)) continue
    const c = cell(key, perConn)
    const before = cell(key, (v) => v.beforeKiB)
    const after = cell(key, (v) => v.afterKiB)
    rows.push([server.label, show(c, (x) => fixed(x / 1024, 1)), show(before, (x) => fixed(x / 1024, 1)), show(after, (x) => fixed(x / 1024, 1)),
      ...vsCells(c.value, refs), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'KiB per connection', 'RSS before (MiB)', `RSS with ${int(opts.idle)} (MiB)`, ...VS_HEADER, 'spread'], rows)
}

function idleDeflateTable() {
  const rows = []
  for (const variant of IDLE_DEFLATE_VARIANTS) {
    const key = `idle-deflate:${variant.name}`
    if (!results.has(key)) continue
    const c = cell(key, (v) => v.perConnBytes)
    rows.push([variant.label, show(c, (x) => fixed(x / 1024, 1)), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'KiB per connection', 'spread'], rows)
}

function redisTable() {
  const rows = []
  for (const [transport, label] of [['redis', 'Redis adapter (A → redis-server → B\'s core)'], ['ipc', 'local relay (A → Unix socket → B\'s JS → publish)']]) {
    const key = `redis:${transport}`
    if (!results.has(key)) continue
    const c = cell(key, (v) => v.msgs)
    rows.push([label, show(c, int), show(cell(key, (v) => v.p50), (x) => fixed(x, 2)), show(cell(key, (v) => v.p99), (x) => fixed(x, 2)), show(cell(key, (v) => v.missed), int), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Transport', 'deliveries/s', 'p50 ms', 'p99 ms', 'missed', 'spread'], rows)
}

function handshakeTable() {
  const refs = references((name) => `handshakes:${name}`)
  const rows = []
  for (const server of SERVERS) {
    const key = `handshakes:${server.name}`
    if (!results.has(key)) continue
    const c = cell(key)
    rows.push([server.label, show(c, int), ...vsCells(c.value, refs), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'handshakes/s', ...VS_HEADER, 'spread'], rows)
}

function fanoutTable() {
  const rows = []
  for (const size of FANOUT_SIZES) {
    const refs = references((name) => `fanout:${name}:${size.id}`, (v) => v.deliveries)
    for (const server of FANOUT_SERVERS) {
      const key = `fanout:${server.name}:${size.id}`
      if (!results.has(key)) continue
      const c = cell(key, (v) => v.deliveries)
      const cpu = cell(key, (v) => v.cpuShare)
      const perCpu = cell(key, (v) => (v.cpuShare > 0 ? v.deliveries / v.cpuShare : null))
      rows.push([server.label, size.label, show(c, int), c.value == null ? '–' : fixed((c.value * size.size) / 1e6, 1),
        cpu.value == null ? '–' : `${Math.round(cpu.value * 100)}%`, perCpu.value == null ? '–' : int(perCpu.value), ...vsCells(c.value, refs), pct(c)])
    }
  }
  if (rows.length === 0) return null
  return table(['Server', 'Size', 'deliveries/s', 'MB/s', 'server CPU', 'deliveries per CPU-second', ...VS_HEADER, 'spread'], rows)
}

/** Why figures are missing: one line per reason, with the ids it concerns. */
function unavailableNotes() {
  const byReason = new Map()
  for (const [key, r] of results) {
    if (!r.unavailable) continue
    if (!byReason.has(r.unavailable)) byReason.set(r.unavailable, [])
    byReason.get(r.unavailable).push(key)
  }
  if (byReason.size === 0) return null
  return [...byReason].map(([reason, keys]) => `- ${reason}: ${keys.map((k) => `\`${k}\``).join(', ')}`).join('\n')
}

function targetsTable() {
  const get = (key, pick = (v) => v) => {
    const c = cell(key, pick)
    if (c.value != null) return { value: c.value }
    return { missing: c.text === 'not run' ? 'not measured' : c.text }
  }
  const rows = evaluateTargets(engineTargets(WORKLOADS, opts.idle), get)
  const count = (word) => rows.filter((r) => r[4].includes(word)).length
  const summary = `${count('pass')} pass, ${count('miss')} miss, ${count('not measured')} not measured, ${count('report')} reported only`
  return { summary, text: table(['Target', 'Ours', 'Reference', 'Ratio', 'Result'], rows) }
}

function report(v, loadStart, loadEnd, seconds) {
  const date = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  const sections = [
    ['Server echo throughput, pinned (server on CPU 0, load generator on CPU 1)', echoTable('pinned')],
    ['Server echo throughput, unpinned', echoTable('unpinned')],
    [`Server echo with permessage-deflate, pinned (${DEFLATE_WORKLOAD.connections} connections × ${DEFLATE_WORKLOAD.label}, ${DEFLATE_WORKLOAD.depth} in flight)`, deflateTable()],
    ['Round-trip latency (1 connection, 32 B, one message in flight)', latencyTable()],
    ['Client throughput (each client against poco-ws-bench serve; client on CPU 0, server on CPU 1)', clientTable()],
    [`Server RSS per idle connection (${int(opts.idle)} connections)`, idleTable('idle')],
    [`Server RSS per connection after traffic (${int(opts.idle)} connections, each echoed one ${ECHOED_BYTES / 1024} KiB message, then idle)`, idleTable('idle-after-echo')],
    [`Server RSS per idle connection with permessage-deflate (${int(opts.idle)} connections, each exchanged one compressed 1 KiB text)`, idleDeflateTable()],
    ['Handshakes per second (connect, upgrade, CLOSE, server closes TCP; 8 concurrent loops, pinned)', handshakeTable()],
    [`Fan-out (1 publisher, ${int(opts.subscribers)} subscribers, topic 'bench', ${FANOUT_DEPTH} messages in flight; pinned)`, fanoutTable()],
    ['Across two server processes (node A publishes 64 B messages, 2 subscribers on node B; latency publish → receive at 5,000/s; unpinned)', redisTable()],
    ['Unavailable figures', unavailableNotes()],
  ].filter(([, t]) => t)
  const kind = opts.quick ? 'quick run (--quick: 1 run per figure, short windows; smoke test, not for comparison)' : `${opts.runs} runs per figure, median`
  const targets = targetsTable()
  return `# poco-websocket benchmarks

## Engine targets

Measured on ${date}, ${kind}${opts.only ? `, only ${opts.only}` : ''}, on ${v.cpu}, ${v.cores} cores, ${v.memory},
${v.kernel}; Node.js ${v.node}, ws ${v.ws}, uWebSockets.js ${v.uws}, Bun ${v.bun}, poco-websocket ${v.ours}.
Ours is the message API (\`poco-message\`) unless the row says otherwise; a ratio is ours divided by
the reference, both medians of this run. ${targets.summary}.

${targets.text}

Generated by \`npm run bench\` (bench/run.mjs) on ${date}; ${kind}${opts.only ? `; only ${opts.only}` : ''}; ${Math.round(seconds)} s.

| | |
|---|---|
| CPU | ${v.cpu}, ${v.cores} cores, ${v.memory} |
| Kernel | ${v.kernel}, glibc ${v.glibc} |
| Node.js | ${v.node} |
| ws | ${v.ws} with bufferutil ${v.bufferutil} |
| uWebSockets.js | ${v.uws} (@btc-vision/uwebsockets.js) |
| Bun | ${v.bun} |
| poco-websocket | ${v.ours} |
| Load generator | crates/bench (poco-ws-bench), ${v.cargo} |
| Load average | ${loadStart} at start, ${loadEnd} at end |
${Object.keys(opts.pocoEnv).length ? `| Extra env for ours | ${Object.entries(opts.pocoEnv).map(([k, x]) => `${k}=${x}`).join(' ')} |\n` : ''}
## Method

Every server is a small script (bench/servers/) whose JavaScript handler echoes each message: Node.js
for ws, uWebSockets.js and ours (via the Poco frame API: a \`receiveFrame\`/\`sendFrame\` loop per
connection; via the message API: a ws-like \`'message'\` handler), Bun's own runtime for \`Bun.serve\`.
The load comes from a separate process, \`poco-ws-bench\` (Rust, tokio,
one thread): it writes precomputed masked client frames and counts echoed frames by their headers, so
it is several times faster than the fastest server measured. *Pinned*: server on CPU ${SERVER_CPU}
(\`taskset -c ${SERVER_CPU}\`), load generator on CPU ${LOAD_CPU}; *unpinned*: the OS schedules both. Each
connection keeps a fixed number of binary messages in flight, the same for every server, and answers
every echo with a new message: 16 for 32 B and 1 KiB, 4 for 64 KiB, 1 for 1 MiB (at most 1 MiB in flight
per connection). msg/s counts echoed messages over a ${opts.duration} s window after ${opts.warmup} s of
warmup; MB/s is payload bytes echoed per second (10^6 bytes, one direction). Every figure is the
median of ${opts.runs} run${opts.runs > 1 ? 's' : ''} (a fresh server process per run; the order of the servers
rotates between runs); *spread* is half the range of the runs relative to the median. Ratios compare
medians measured in the same run of the suite (for RSS and latency, above 1× means more memory or a
longer time). permessage-deflate: the load generator offers
\`permessage-deflate; client_no_context_takeover\` and sends one compressible 1 KiB text, compressed once
(raw DEFLATE, RSV1); every server compresses every echo, and a server that does not accept the offer
is *unavailable*. Latency: one connection, one 32 B message in flight,
every round trip timed over ${opts.latencyDuration} s, pinned and unpinned. Client throughput: each client library (bench/clients/)
runs the same echo workload against \`poco-ws-bench serve\` (a minimal Rust echo server). Idle RSS:
VmRSS of the server process (/proc/<pid>/status) ${opts.idleSettle} s after ${int(opts.idle)} connections
are open and idle, minus VmRSS before they were opened, divided by their count; *after traffic*, the
same with each connection having echoed one ${ECHOED_BYTES / 1024} KiB message first. Handshakes: 8 loops of
connect, upgrade (101), CLOSE 1000 and wait for the server to close TCP. Fan-out: one publisher
connection sends binary messages that the server publishes to ${int(opts.subscribers)} subscriber connections;
deliveries/s is frames received summed over subscribers, the publisher keeping ${FANOUT_DEPTH} messages in flight
(counted over all subscribers); server CPU is utime + stime (/proc/<pid>/stat) over the window, per
second of it.
The machine is shared (see the load average): figures move by several percent between runs.

${sections.map(([title, t]) => `## ${title}\n\n${t}\n`).join('\n')}`
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const ctx = setup()
  const v = versions(ctx.uws, ctx.bun)
  if (!canPin) log('taskset or a second CPU is missing: "pinned" figures run unpinned')
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  await echoSection(ctx)
  await deflateSection(ctx)
  await latencySection(ctx)
  await clientSection(ctx)
  await idleSection(ctx, { prefix: 'idle', variants: idleVariants(0) })
  await idleSection(ctx, { prefix: 'idle-after-echo', variants: idleVariants(ECHOED_BYTES) })
  await idleSection(ctx, { prefix: 'idle-deflate', variants: IDLE_DEFLATE_VARIANTS })
  await handshakeSection(ctx)
  await fanoutSection(ctx)
  await redisSection()
  const loadEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  const md = report(v, loadStart, loadEnd, (Date.now() - started) / 1000)
  mkdirSync(dirname(opts.out), { recursive: true })
  writeFileSync(opts.out, md)
  console.log(md)
  log(`wrote ${relative(process.cwd(), opts.out) || opts.out}`)
  clearTimeout(watchdog)
  killAll()
}

main().then(() => process.exit(0))

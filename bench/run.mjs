// `npm run bench`: the benchmark suite. Builds the Rust load generator (crates/bench), prepares
// uWebSockets.js (bench/uws-compat.mjs), then measures each server (bench/servers/) and client
// (bench/clients/) in its own process against poco-ws-bench in another, prints markdown tables and
// writes bench/RESULTS.md (a full run) or bench/.work/RESULTS-partial.md (--quick, --only).
//
// Flags:
//   --quick            short smoke run: 1 run per figure, short windows, 2,000 idle connections
//   --only <regex>     run only the measurements whose id matches (case-insensitive), ids like
//                      echo:pinned:ws:64x1KiB  echo:unpinned:uws:1x32B  latency:pinned:poco-frame
//                      client:ws:64x64KiB  idle:uws  handshakes:poco-message
//   --runs <n>         runs per figure (median reported; default 3, --quick 1)
//   --duration <s>     measurement window per echo/latency/client/handshake figure (default 1.5)
//   --warmup <s>       warmup before each window (default 0.5)
//   --idle <n>         connections for the idle-RSS figure (default 10000)
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
import { prepareUws } from './uws-compat.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = dirname(BENCH)
const WORK = join(BENCH, '.work')

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = { quick: false, only: null, runs: null, duration: null, warmup: null, idle: null, pocoEnv: {}, out: null, build: true }
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
  o.idleSettle = q ? 1 : 2
  o.latencyDuration = q ? 1 : Math.max(2, o.duration)
  o.out ??= q || o.only ? join(WORK, 'RESULTS-partial.md') : join(BENCH, 'RESULTS.md')
  return o
}

function usage(error) {
  const text = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 24)
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
}, (opts.quick ? 6 : 40) * 60_000)
watchdog.unref()

const canPin = os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0

function launch(cmd, args, { env = process.env, cpu = null } = {}) {
  if (stopping) throw new Error('stopping')
  const [c, a] = cpu !== null && canPin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]
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
  { name: 'poco-frame', label: 'ours, frame API', script: 'servers/poco-frame.js', ours: true },
  { name: 'poco-message', label: 'ours, message API', script: 'servers/poco-message.js', ours: true },
]
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
  return { bin, uws }
}

function versions(uws) {
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
  if (server.ours) return { ...process.env, ...opts.pocoEnv }
  return { ...process.env }
}

/** Starts a server; resolves to { child, port, pid } or { unavailable }. */
async function startServer(server, ctx, cpu) {
  if (server.name === 'uws' && ctx.uws.error) return { unavailable: `uWebSockets.js: ${ctx.uws.error}` }
  const port = await freePort()
  const child = launch(process.execPath, [join(BENCH, server.script)], { env: { ...serverEnv(server, ctx), PORT: String(port) }, cpu })
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

async function bench(ctx, mode, args, cpu, timeoutMs) {
  return runJson(ctx.bin, [mode, ...args.map(String)], { cpu }, timeoutMs, `poco-ws-bench ${mode}`)
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

async function idleSection(ctx) {
  for (let run = 0; run < opts.runs; run++) {
    for (const server of rotate(SERVERS, run)) {
      const key = `idle:${server.name}`
      if (!wanted(key)) continue
      log(`idle RSS ${server.name}, ${opts.idle} connections (run ${run + 1}/${opts.runs})`)
      let srv = null
      let idle = null
      try {
        srv = await startServer(server, ctx, null)
        if (srv.unavailable) {
          record(key, srv)
          continue
        }
        await sleep(500)
        const before = vmRssKiB(srv.pid)
        idle = launch(ctx.bin, ['idle', '--port', srv.port, '--connections', opts.idle, '--hold', 120], {})
        const ready = await waitJson(idle, (v) => v.ready, 90_000, 'poco-ws-bench idle')
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
  if (r.unavailable) return { text: 'unavailable', value: null }
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

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const row of rows) out.push(`| ${row.join(' | ')} |`)
  return out.join('\n')
}

function echoTable(pin) {
  const rows = []
  for (const w of WORKLOADS) {
    const ws = cell(`echo:${pin}:ws:${w.id}`).value
    const uws = cell(`echo:${pin}:uws:${w.id}`).value
    for (const server of SERVERS) {
      const key = `echo:${pin}:${server.name}:${w.id}`
      if (!results.has(key)) continue
      const c = cell(key)
      rows.push([
        server.label, String(w.connections), w.label, show(c, int), c.value == null ? '–' : fixed((c.value * w.size) / 1e6, 1),
        ratio(c.value, ws), ratio(c.value, uws), pct(c),
      ])
    }
  }
  if (rows.length === 0) return null
  return table(['Server', 'Conns', 'Size', 'msg/s', 'MB/s', 'vs ws', 'vs uWS', 'spread'], rows)
}

function latencyTable() {
  const rows = []
  for (const pin of PIN_MODES) for (const server of SERVERS) {
    const key = `latency:${pin}:${server.name}`
    if (!results.has(key)) continue
    const p50 = cell(key, (v) => v.p50_us)
    const p99 = cell(key, (v) => v.p99_us)
    const p999 = cell(key, (v) => v.p999_us)
    const rt = cell(key, (v) => v.round_trips / opts.latencyDuration)
    rows.push([server.label, pin, show(p50, (x) => fixed(x, 1)), show(p99, (x) => fixed(x, 1)), show(p999, (x) => fixed(x, 1)), show(rt, int)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'CPUs', 'p50 µs', 'p99 µs', 'p99.9 µs', 'round trips/s'], rows)
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

function idleTable() {
  const rows = []
  for (const server of SERVERS) {
    const key = `idle:${server.name}`
    if (!results.has(key)) continue
    const c = cell(key, (v) => v.perConnBytes)
    const before = cell(key, (v) => v.beforeKiB)
    const after = cell(key, (v) => v.afterKiB)
    rows.push([server.label, show(c, (x) => fixed(x / 1024, 1)), show(before, (x) => fixed(x / 1024, 1)), show(after, (x) => fixed(x / 1024, 1)), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'KiB per idle connection', 'RSS before (MiB)', `RSS with ${int(opts.idle)} (MiB)`, 'spread'], rows)
}

function handshakeTable() {
  const rows = []
  const ws = cell('handshakes:ws').value
  const uws = cell('handshakes:uws').value
  for (const server of SERVERS) {
    const key = `handshakes:${server.name}`
    if (!results.has(key)) continue
    const c = cell(key)
    rows.push([server.label, show(c, int), ratio(c.value, ws), ratio(c.value, uws), pct(c)])
  }
  if (rows.length === 0) return null
  return table(['Server', 'handshakes/s', 'vs ws', 'vs uWS', 'spread'], rows)
}

function report(v, loadStart, loadEnd, seconds) {
  const date = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
  const sections = [
    ['Server echo throughput, pinned (server on CPU 0, load generator on CPU 1)', echoTable('pinned')],
    ['Server echo throughput, unpinned', echoTable('unpinned')],
    ['Round-trip latency (1 connection, 32 B, one message in flight)', latencyTable()],
    ['Client throughput (each client against poco-ws-bench serve; client on CPU 0, server on CPU 1)', clientTable()],
    [`Server RSS per idle connection (${int(opts.idle)} connections)`, idleTable()],
    ['Handshakes per second (connect, upgrade, CLOSE, server closes TCP; 8 concurrent loops, pinned)', handshakeTable()],
  ].filter(([, t]) => t)
  const kind = opts.quick ? 'quick run (--quick: 1 run per figure, short windows; smoke test, not for comparison)' : `${opts.runs} runs per figure, median`
  return `# poco-websocket benchmarks

Generated by \`npm run bench\` (bench/run.mjs) on ${date}; ${kind}${opts.only ? `; only ${opts.only}` : ''}; ${Math.round(seconds)} s.

| | |
|---|---|
| CPU | ${v.cpu}, ${v.cores} cores, ${v.memory} |
| Kernel | ${v.kernel}, glibc ${v.glibc} |
| Node.js | ${v.node} |
| ws | ${v.ws} with bufferutil ${v.bufferutil} |
| uWebSockets.js | ${v.uws} (@btc-vision/uwebsockets.js) |
| poco-websocket | ${v.ours} |
| Load generator | crates/bench (poco-ws-bench), ${v.cargo} |
| Load average | ${loadStart} at start, ${loadEnd} at end |
${Object.keys(opts.pocoEnv).length ? `| Extra env for ours | ${Object.entries(opts.pocoEnv).map(([k, x]) => `${k}=${x}`).join(' ')} |\n` : ''}
## Method

Every server is a small Node.js script (bench/servers/) whose JavaScript handler echoes each message
(ours via the Poco frame API: a \`receiveFrame\`/\`sendFrame\` loop per connection; via the message API:
a ws-like \`'message'\` handler). The load comes from a separate process, \`poco-ws-bench\` (Rust, tokio,
one thread): it writes precomputed masked client frames and counts echoed frames by their headers, so
it is several times faster than the fastest server measured. *Pinned*: server on CPU ${SERVER_CPU}
(\`taskset -c ${SERVER_CPU}\`), load generator on CPU ${LOAD_CPU}; *unpinned*: the OS schedules both. Each
connection keeps a fixed number of binary messages in flight, the same for every server, and answers
every echo with a new message: 16 for 32 B and 1 KiB, 4 for 64 KiB, 1 for 1 MiB (at most 1 MiB in flight
per connection). msg/s counts echoed messages over a ${opts.duration} s window after ${opts.warmup} s of
warmup; MB/s is payload bytes echoed per second (10^6 bytes, one direction). Every figure is the
median of ${opts.runs} run${opts.runs > 1 ? 's' : ''} (a fresh server process per run; the order of the servers
rotates between runs); *spread* is half the range of the runs relative to the median. Ratios compare
medians measured in the same run of the suite. Latency: one connection, one 32 B message in flight,
every round trip timed over ${opts.latencyDuration} s, pinned and unpinned. Client throughput: each client library (bench/clients/)
runs the same echo workload against \`poco-ws-bench serve\` (a minimal Rust echo server). Idle RSS:
VmRSS of the server process (/proc/<pid>/status) ${opts.idleSettle} s after ${int(opts.idle)} connections
are open and idle, minus VmRSS before they were opened, divided by their count. Handshakes: 8 loops of
connect, upgrade (101), CLOSE 1000 and wait for the server to close TCP.
The machine is shared (see the load average): figures move by several percent between runs.

${sections.map(([title, t]) => `## ${title}\n\n${t}\n`).join('\n')}`
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const ctx = setup()
  const v = versions(ctx.uws)
  if (!canPin) log('taskset or a second CPU is missing: "pinned" figures run unpinned')
  const loadStart = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  await echoSection(ctx)
  await latencySection(ctx)
  await clientSection(ctx)
  await idleSection(ctx)
  await handshakeSection(ctx)
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

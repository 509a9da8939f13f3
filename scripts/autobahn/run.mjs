#!/usr/bin/env node
// `npm run autobahn`: the Autobahn|Testsuite (wstest 0.8.2) against poco-websocket through its
// public API only: both APIs in both roles, four agents (AGENTS below), default strict options:
//   server role, frame API    examples/autobahn-server.ts          HTTPServer + WebSocket.accept
//   server role, message API  examples/autobahn-message-server.ts  WebSocketServer
//   client role, frame API    examples/autobahn-client.ts          WebSocket.connect
//   client role, message API  examples/autobahn-message-client.ts  MessageWebSocket
// (the frame API programs share the echo loop of examples/autobahn-echo.ts).
//
//   1. builds the TypeScript when a source is newer than dist/ (the native addon must exist)
//   2. installs wstest (scripts/autobahn/install.sh; its last stdout line is the wstest path)
//   3. server role: our echo servers, each on 127.0.0.1:<free port>, and one
//      `wstest -m fuzzingclient` whose spec has one "servers" entry per API, each with its agent
//      name; wstest runs them one after the other
//   4. client role: `wstest -m fuzzingserver -u 0` on 127.0.0.1:<free port>, our clients against it
//      one after the other, each naming its agent in /runCase?case=N&agent=… and /updateReports
//   5. reads both index.json files (one entry per agent), writes a summary
//      (.autobahn/reports/summary.{json,txt}, with a table of verdict counts per agent) and
//      compares every agent's cases with scripts/autobahn/expected/<role>-<api>.json (results.mjs):
//      exit 1 on a regression (a verdict worse than expected, or a case missing), improvements are
//      printed. One of our programs failing (a server that died, a client's exit code) is an error
//      too: the other agents still run, the comparison is printed, exit 1.
//
// Cases: the specs scripts/autobahn/fuzzing{client,server}.json give "cases" and wstest's
// "options"; "url", "servers", "outdir" and the exclusions are set here. Each API's exclusions are
// its `exclude` in APIS below: patterns every agent of the run excludes go to "exclude-cases", the
// others to "exclude-agent-cases" (wstest then skips the case for that agent and files no result).
//
// Options:
//   --update-expected   write the expected file of every agent that ran (only if each produced a
//                       report and one API's two roles ran the same cases); no comparison
//                       failure in that case
//   --merge-expected    the same, but a case keeps the worse of its recorded and its new verdict:
//                       repeated runs record timing-dependent cases at their worst
//   --role=server|client|both    run one role only (default both; comparison covers what ran)
//   --api=frame|message|both     run one API only (default both)
//   --no-run            only compare the reports already under .autobahn/reports
// Environment: AUTOBAHN_TIMEOUT_S (whole run, default 2400: cases 12.* and 13.* take wstest about 6 min per role), AUTOBAHN_CASE_TIMEOUT_MS (clients,
// per case, default 60000), AUTOBAHN_VERBOSE=1 (echo programs log failures).
//
// Every process started here runs in its own process group and is killed on exit, also on
// failure, timeout, SIGINT and SIGTERM.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { compare, EXPECTED_DIR, readResults, REPORTS, ROOT, writeExpected } from './results.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
// permessage-deflate: the Poco frame API has none (as Poco), the message API negotiates it.
const PERMESSAGE_DEFLATE = ['12.*', '13.*']
/**
 * The APIs under test: wstest agent name, the example programs (dist/examples/<name>.js) and the
 * case patterns left out (wstest syntax; `exclude: []` runs every case for that API).
 */
const APIS = {
  frame: { agent: 'poco-frame', server: 'autobahn-server', client: 'autobahn-client', exclude: PERMESSAGE_DEFLATE },
  message: { agent: 'poco-message', server: 'autobahn-message-server', client: 'autobahn-message-client', exclude: [] },
}
const ROLES = ['server', 'client']
const TOTAL_TIMEOUT_S = Number(process.env.AUTOBAHN_TIMEOUT_S ?? 2400)

const args = process.argv.slice(2)
const mergeExpected = args.includes('--merge-expected')
const updateExpected = args.includes('--update-expected') || mergeExpected
const noRun = args.includes('--no-run')
const choice = (name) => (args.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=both`).slice(`--${name}=`.length)
const roleArg = choice('role')
const apiArg = choice('api')
for (const a of args) {
  if (!['--update-expected', '--merge-expected', '--no-run'].includes(a) && !a.startsWith('--role=') && !a.startsWith('--api=')) die(`unknown option ${a}`)
}
if (![...ROLES, 'both'].includes(roleArg)) die(`--role must be server, client or both`)
if (![...Object.keys(APIS), 'both'].includes(apiArg)) die(`--api must be frame, message or both`)
const roles = roleArg === 'both' ? ROLES : [roleArg]
const apis = apiArg === 'both' ? Object.keys(APIS) : [apiArg]
/** The agents of this run: one API in one role each. */
const AGENTS = roles.flatMap((role) => apis.map((api) => ({ key: `${role}-${api}`, role, api, agent: APIS[api].agent, exclude: APIS[api].exclude })))

const t0 = Date.now()
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`
function log(message) {
  console.log(`[autobahn ${elapsed().padStart(8)}] ${message}`)
}
function die(message, code = 2) {
  console.error(`[autobahn] ERROR: ${message}`)
  process.exit(code)
}

// ------------------------------------------------------------------ processes
/** Children still alive, by pid; each is a process group leader (detached). */
const children = new Map()

function start(name, command, argv, { logFile, env } = {}) {
  const out = logFile ? fs.openSync(logFile, 'w') : 'ignore'
  const child = spawn(command, argv, {
    cwd: ROOT,
    detached: true, // own process group: kill(-pid) reaches its children too
    stdio: ['ignore', logFile ? 'pipe' : 'ignore', logFile ? out : 'ignore'],
    env: { ...process.env, PYTHONWARNINGS: 'ignore', ...env },
  })
  children.set(child.pid, name)
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child.pid)
      resolve({ code, signal })
    })
    child.on('error', (error) => {
      children.delete(child.pid)
      resolve({ code: -1, signal: null, error })
    })
  })
  if (logFile) {
    child.stdout.on('data', (chunk) => {
      fs.writeSync(out, chunk) // same open file as the child's stderr: one shared offset
      child.emit('line-data', chunk.toString())
    })
    child.stdout.on('close', () => fs.closeSync(out))
  }
  return child
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
async function stop(child, graceMs = 3000) {
  if (!children.has(child.pid)) {
    killGroup(child.pid, 'SIGKILL') // stray grandchildren, if any
    return child.exited
  }
  killGroup(child.pid, 'SIGTERM')
  const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs)
  const result = await child.exited
  clearTimeout(timer)
  killGroup(child.pid, 'SIGKILL')
  return result
}

function killAll() {
  for (const pid of children.keys()) killGroup(pid, 'SIGKILL')
  children.clear()
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`[autobahn] ${signal}: stopping everything`)
    killAll()
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1))
  })
}
const budget = setTimeout(() => {
  console.error(`[autobahn] ERROR: the run exceeded AUTOBAHN_TIMEOUT_S=${TOTAL_TIMEOUT_S} s; killing everything`)
  killAll()
  process.exit(3)
}, TOTAL_TIMEOUT_S * 1000)
budget.unref()

function waitFor(child, pattern, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`${what}: nothing matching ${pattern} within ${timeoutMs} ms`)), timeoutMs)
    const onData = (chunk) => {
      text += chunk
      const match = pattern.exec(text)
      if (match) {
        clearTimeout(timer)
        child.off('line-data', onData)
        resolve(match)
      }
    }
    child.on('line-data', onData)
    void child.exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (code ${code}, signal ${signal}) before it was ready`))
    })
  })
}

async function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '0.0.0.0', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function waitForPort(port, timeoutMs, child, what) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!children.has(child.pid)) throw new Error(`${what} exited before it listened on ${port}`)
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`)
}

/**
 * Progress from a child's stdout: every `every`th line matching `pattern` (every 0: each line).
 * With a capture group in `pattern` (an agent name), lines are counted per captured value.
 */
function progress(child, pattern, every, label) {
  const seen = new Map()
  let carry = ''
  child.on('line-data', (chunk) => {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop()
    for (const line of lines) {
      const match = pattern.exec(line)
      if (!match) continue
      const name = match[1] ? `${label}, ${match[1]}` : label
      const count = (seen.get(name) ?? 0) + 1
      seen.set(name, count)
      if (every === 0) log(`${name}: ${line.trim()}`)
      else if (count % every === 0) log(`${name}: ${count} cases run`)
    }
  })
}

// ------------------------------------------------------------------ steps
function buildIfNeeded() {
  const addon = fs.readdirSync(path.join(ROOT, 'native')).find((f) => f.endsWith('.node'))
  if (!addon) die('the native addon is missing under native/: run `npm run build:native` first')
  const addonTime = fs.statSync(path.join(ROOT, 'native', addon)).mtimeMs
  const newerRust = fs
    .readdirSync(path.join(ROOT, 'crates'), { recursive: true })
    .filter((f) => f.endsWith('.rs') && /(^|\/)src\//.test(f))
    .filter((f) => fs.statSync(path.join(ROOT, 'crates', f)).mtimeMs > addonTime)
  if (newerRust.length > 0) {
    log(`warning: native/${addon} is older than crates/${newerRust[0]}${newerRust.length > 1 ? ` (+${newerRust.length - 1})` : ''}; the run tests the built addon (npm run build:native rebuilds it)`)
  }
  const sources = [path.join(ROOT, 'index.ts')]
  for (const dir of ['src', 'examples']) { // what the run uses (tsc -p . builds __test__ too)
    for (const f of fs.readdirSync(path.join(ROOT, dir))) if (f.endsWith('.ts')) sources.push(path.join(ROOT, dir, f))
  }
  const outputOf = (src) => path.join(ROOT, 'dist', path.relative(ROOT, src).replace(/\.ts$/, '.js'))
  const mtime = (f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : -1)
  const stale = sources.filter((src) => mtime(outputOf(src)) < mtime(src))
  if (stale.length === 0) {
    log('TypeScript: dist/ is up to date')
    return
  }
  log(`TypeScript: ${stale.length} file(s) newer than dist/ (${path.relative(ROOT, stale[0])}${stale.length > 1 ? ', …' : ''}); tsc -p .`)
  const tsc = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: ROOT, stdio: 'inherit', timeout: 180_000 })
  if (tsc.status !== 0) die(`tsc failed (status ${tsc.status}${tsc.signal ? `, ${tsc.signal}` : ''})`)
}

async function installWstest() {
  const child = start('install.sh', 'bash', [path.join(HERE, 'install.sh')], { logFile: path.join(REPORTS, 'install.log') })
  let out = ''
  child.on('line-data', (chunk) => (out += chunk))
  const { code } = await withTimeout(child.exited, 900_000, 'install.sh')
  const wstest = out.trim().split('\n').pop()
  if (code !== 0 || !wstest || !fs.existsSync(wstest)) {
    die(`install.sh failed (exit ${code}); see ${path.relative(ROOT, path.join(REPORTS, 'install.log'))}`)
  }
  log(`wstest: ${wstest}`)
  return wstest
}

/** wstest's exclusions for the APIs of this run: what all of them leave out, then the rest per agent. */
function exclusions() {
  const common = APIS[apis[0]].exclude.filter((pattern) => apis.every((api) => APIS[api].exclude.includes(pattern)))
  const perAgent = {}
  for (const api of apis) {
    const own = APIS[api].exclude.filter((pattern) => !common.includes(pattern))
    if (own.length > 0) perAgent[APIS[api].agent] = own
  }
  return { 'exclude-cases': common, 'exclude-agent-cases': perAgent }
}

function writeSpec(template, fields, file) {
  const spec = { ...JSON.parse(fs.readFileSync(path.join(HERE, template), 'utf8')), ...fields, ...exclusions() }
  fs.writeFileSync(file, JSON.stringify(spec, null, 2) + '\n')
}

const example = (name) => path.join(ROOT, 'dist', 'examples', `${name}.js`)
const shown = (file) => path.relative(ROOT, file)

/**
 * Server role: our echo servers, one per API, and one wstest fuzzing client that runs every case
 * against each of them in turn. Returns the failures of our programs (a server that died).
 */
async function runServerRole(wstest) {
  const outdir = path.join(REPORTS, 'server')
  fs.rmSync(outdir, { recursive: true, force: true })
  fs.mkdirSync(outdir, { recursive: true })
  const servers = apis.map((api) => {
    const logFile = path.join(outdir, `our-server-${api}.log`)
    const child = start(APIS[api].server, process.execPath, [example(APIS[api].server), '0', '127.0.0.1'], { logFile })
    // Listening before the first await: a server may print its line while we wait for another.
    const listening = waitFor(child, /listening on ws:\/\/127\.0\.0\.1:(\d+)\//, 15_000, `our ${api} API echo server`)
    listening.catch(() => {}) // awaited below; one that fails while another is awaited is not unhandled
    return { api, agent: APIS[api].agent, child, logFile, listening }
  })
  try {
    for (const server of servers) {
      server.url = `ws://127.0.0.1:${(await server.listening)[1]}`
      log(`server role: ${server.agent} at ${server.url}`)
    }
    const spec = path.join(REPORTS, 'fuzzingclient.json')
    writeSpec('fuzzingclient.json', { outdir, servers: servers.map(({ agent, url }) => ({ agent, url })) }, spec)
    const wstestLog = path.join(outdir, 'wstest.log')
    const client = start('wstest fuzzingclient', wstest, ['-m', 'fuzzingclient', '-s', spec], { logFile: wstestLog })
    progress(client, /^Running test case ID \S+ for agent (\S+)/, 50, 'server role')
    const { code, signal } = await client.exited
    if (code !== 0) throw new Error(`wstest -m fuzzingclient exited with code ${code}, signal ${signal}; see ${shown(wstestLog)}`)
    log('server role: wstest fuzzingclient finished')
    const failures = []
    for (const server of servers) {
      if (children.has(server.child.pid)) continue
      const { code: c, signal: s } = await server.child.exited
      failures.push(`our ${server.api} API echo server exited during the run (code ${c}, signal ${s}); see ${shown(server.logFile)}`)
    }
    return failures
  } finally {
    await Promise.all(servers.map((server) => stop(server.child)))
  }
}

/**
 * Client role: one wstest fuzzing server, our clients against it one after the other (each files
 * its cases under its agent name). Returns the failures of our programs (a client that failed).
 */
async function runClientRole(wstest) {
  const outdir = path.join(REPORTS, 'client')
  fs.rmSync(outdir, { recursive: true, force: true })
  fs.mkdirSync(outdir, { recursive: true })
  const port = await freePort()
  const url = `ws://127.0.0.1:${port}`
  const spec = path.join(REPORTS, 'fuzzingserver.json')
  writeSpec('fuzzingserver.json', { url, outdir }, spec)
  const fuzzer = start('wstest fuzzingserver', wstest, ['-m', 'fuzzingserver', '-u', '0', '-s', spec], { logFile: path.join(outdir, 'wstest.log') })
  const failures = []
  try {
    await waitForPort(port, 30_000, fuzzer, 'wstest fuzzingserver')
    log(`client role: wstest fuzzingserver at ${url}`)
    for (const api of apis) {
      const { agent, client: program } = APIS[api]
      const logFile = path.join(outdir, `our-client-${api}.log`)
      const client = start(program, process.execPath, [example(program), url, agent], { logFile })
      progress(client, /^case \d+\/\d+ done/, 0, `client role, ${agent}`)
      const { code, signal } = await client.exited
      if (code !== 0) failures.push(`our ${api} API client exited with code ${code}, signal ${signal}; see ${shown(logFile)}`)
      else log(`client role: ${agent} finished`)
      if (!children.has(fuzzer.pid)) throw new Error(`wstest fuzzingserver exited during the run; see ${shown(path.join(outdir, 'wstest.log'))}`)
    }
    return failures
  } finally {
    await stop(fuzzer)
  }
}

// ------------------------------------------------------------------ main
async function main() {
  fs.mkdirSync(REPORTS, { recursive: true })
  const failures = []
  if (!noRun) {
    buildIfNeeded()
    const wstest = await installWstest()
    const stageMs = TOTAL_TIMEOUT_S * 1000
    for (const role of roles) {
      const t = Date.now()
      const run = role === 'server' ? runServerRole(wstest) : runClientRole(wstest)
      failures.push(...(await withTimeout(run, stageMs, `the ${role} role`)))
      log(`${role} role took ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
  }
  const actualByKey = Object.fromEntries(AGENTS.map((agent) => [agent.key, readResults(agent)]))
  for (const failure of failures) console.error(`[autobahn] ERROR: ${failure}`)
  if (updateExpected) {
    if (failures.length > 0) throw new Error('some of our programs failed; no expected file written')
    writeExpected(AGENTS, actualByKey, { merge: mergeExpected })
  }
  const { withoutExpected, regressions } = compare(AGENTS, actualByKey)
  log(`summary: ${shown(path.join(REPORTS, 'summary.txt'))}, reports: ${shown(REPORTS)}/{server,client}/index.html`)
  const expectedDir = shown(EXPECTED_DIR)
  if (failures.length > 0) {
    log(`FAILED: ${failures.length} of our programs failed (see the errors above)`)
    return 1
  }
  if (withoutExpected.length > 0) {
    log(`no expected file for ${withoutExpected.map((a) => a.key).join(', ')} in ${expectedDir}: run with --update-expected to record one`)
    return 1
  }
  if (regressions.length > 0) {
    log(`FAILED: ${regressions.length} regression(s) against ${expectedDir}`)
    return 1
  }
  log(`passed: no regression against ${expectedDir} (${AGENTS.map((a) => a.key).join(', ')})`)
  return 0
}

main()
  .then((code) => {
    log(`total time ${elapsed()}`)
    killAll()
    process.exit(code)
  })
  .catch((error) => {
    console.error(`[autobahn] ERROR: ${error instanceof Error ? error.message : error}`)
    log(`total time ${elapsed()}`)
    killAll()
    process.exit(1)
  })

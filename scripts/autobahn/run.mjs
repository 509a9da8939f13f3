#!/usr/bin/env node
// `npm run autobahn`: the Autobahn|Testsuite (wstest 0.8.2) against poco-websocket, both roles,
// through the public API only (examples/autobahn-server.ts, examples/autobahn-client.ts).
//
//   1. builds the TypeScript when a source is newer than dist/ (the native addon must exist)
//   2. installs wstest (scripts/autobahn/install.sh; its last stdout line is the wstest path)
//   3. server role: our echo server on 127.0.0.1:<free port>, `wstest -m fuzzingclient`
//   4. client role: `wstest -m fuzzingserver -u 0` on 127.0.0.1:<free port>, our client against it
//   5. reads both index.json files, writes a summary (.autobahn/reports/summary.{json,txt}) and
//      compares every case with scripts/autobahn/expected.json: exit 1 on a regression (a verdict
//      worse than expected, or a case missing), improvements are printed.
//
// The specs scripts/autobahn/fuzzing{client,server}.json give cases and exclusions; their "url"
// and "outdir" are replaced by the port chosen here and .autobahn/reports/{server,client}.
//
// Options:
//   --update-expected   write scripts/autobahn/expected.json from this run (only if both roles
//                       produced a complete report); no comparison failure in that case
//   --merge-expected    the same, but a case keeps the worse of its recorded and its new verdict:
//                       repeated runs record timing-dependent cases at their worst
//   --role=server|client|both   run one role only (default both; comparison covers what ran)
//   --no-run            only compare the reports already under .autobahn/reports
// Environment: AUTOBAHN_TIMEOUT_S (whole run, default 600), AUTOBAHN_CASE_TIMEOUT_MS (client,
// per case, default 60000), AUTOBAHN_VERBOSE=1 (echo programs log failures).
//
// Every process started here runs in its own process group and is killed on exit, also on
// failure, timeout, SIGINT and SIGTERM.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '../..')
const REPORTS = path.join(ROOT, '.autobahn', 'reports')
const EXPECTED = path.join(HERE, 'expected.json')
const AGENT = 'poco-websocket'
const ROLES = ['server', 'client']
const TOTAL_TIMEOUT_S = Number(process.env.AUTOBAHN_TIMEOUT_S ?? 600)

const args = process.argv.slice(2)
const mergeExpected = args.includes('--merge-expected')
const updateExpected = args.includes('--update-expected') || mergeExpected
const noRun = args.includes('--no-run')
const roleArg = (args.find((a) => a.startsWith('--role=')) ?? '--role=both').slice('--role='.length)
for (const a of args) {
  if (!['--update-expected', '--merge-expected', '--no-run'].includes(a) && !a.startsWith('--role=')) die(`unknown option ${a}`)
}
if (!['server', 'client', 'both'].includes(roleArg)) die(`--role must be server, client or both`)
const roles = roleArg === 'both' ? ROLES : [roleArg]

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

/** Progress from a child's stdout: every `every`th line matching `pattern` (every 0: each line). */
function progress(child, pattern, every, label) {
  let seen = 0
  let carry = ''
  child.on('line-data', (chunk) => {
    const lines = (carry + chunk).split('\n')
    carry = lines.pop()
    for (const line of lines) {
      if (!pattern.test(line)) continue
      if (every === 0) log(`${label}: ${line.trim()}`)
      else if (++seen % every === 0) log(`${label}: ${seen} cases run`)
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

function writeSpec(template, port, outdir, file) {
  const spec = JSON.parse(fs.readFileSync(path.join(HERE, template), 'utf8'))
  const url = `ws://127.0.0.1:${port}`
  if (spec.servers) spec.servers = spec.servers.map((s) => ({ ...s, agent: AGENT, url }))
  else spec.url = url
  spec.outdir = outdir
  fs.writeFileSync(file, JSON.stringify(spec, null, 2) + '\n')
}

/** Server role: wstest's fuzzing client against our echo server. */
async function runServerRole(wstest) {
  const outdir = path.join(REPORTS, 'server')
  fs.rmSync(outdir, { recursive: true, force: true })
  fs.mkdirSync(outdir, { recursive: true })
  const server = start('autobahn-server', process.execPath, [path.join(ROOT, 'dist/examples/autobahn-server.js'), '0', '127.0.0.1'], {
    logFile: path.join(outdir, 'our-server.log'),
  })
  try {
    const [, url, port] = await waitFor(server, /listening on (ws:\/\/127\.0\.0\.1:(\d+)\/)/, 15_000, 'our echo server')
    log(`server role: our echo server at ${url}`)
    const spec = path.join(REPORTS, 'fuzzingclient.json')
    writeSpec('fuzzingclient.json', port, outdir, spec)
    const client = start('wstest fuzzingclient', wstest, ['-m', 'fuzzingclient', '-s', spec], { logFile: path.join(outdir, 'wstest.log') })
    progress(client, /^Running test case ID/, 50, 'server role')
    const { code, signal } = await client.exited
    if (code !== 0) throw new Error(`wstest -m fuzzingclient exited with code ${code}, signal ${signal}; see ${path.relative(ROOT, path.join(outdir, 'wstest.log'))}`)
    if (!children.has(server.pid)) {
      const { code: c, signal: s } = await server.exited
      throw new Error(`our echo server exited during the run (code ${c}, signal ${s}); see ${path.relative(ROOT, path.join(outdir, 'our-server.log'))}`)
    }
    log('server role: wstest fuzzingclient finished')
  } finally {
    await stop(server)
  }
}

/** Client role: our client against wstest's fuzzing server. */
async function runClientRole(wstest) {
  const outdir = path.join(REPORTS, 'client')
  fs.rmSync(outdir, { recursive: true, force: true })
  fs.mkdirSync(outdir, { recursive: true })
  const port = await freePort()
  const spec = path.join(REPORTS, 'fuzzingserver.json')
  writeSpec('fuzzingserver.json', port, outdir, spec)
  const fuzzer = start('wstest fuzzingserver', wstest, ['-m', 'fuzzingserver', '-u', '0', '-s', spec], { logFile: path.join(outdir, 'wstest.log') })
  try {
    await waitForPort(port, 30_000, fuzzer, 'wstest fuzzingserver')
    log(`client role: wstest fuzzingserver at ws://127.0.0.1:${port}`)
    const client = start('autobahn-client', process.execPath, [path.join(ROOT, 'dist/examples/autobahn-client.js'), `ws://127.0.0.1:${port}`, AGENT], {
      logFile: path.join(outdir, 'our-client.log'),
    })
    progress(client, /^case \d+\/\d+ done/, 0, 'client role')
    const { code, signal } = await client.exited
    if (code !== 0) throw new Error(`our client exited with code ${code}, signal ${signal}; see ${path.relative(ROOT, path.join(outdir, 'our-client.log'))}`)
    log('client role: our client finished')
  } finally {
    await stop(fuzzer)
  }
}

// ------------------------------------------------------------------ comparison
const RANK = { OK: 2, INFORMATIONAL: 2, UNIMPLEMENTED: 2, 'NON-STRICT': 1 } // anything else: 0 (FAILED, WRONG CODE, UNCLEAN, …)
const rank = (verdict) => RANK[verdict] ?? 0

function caseOrder(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1)
    if (d !== 0) return d
  }
  return 0
}

function readResults(role) {
  const file = path.join(REPORTS, role, 'index.json')
  if (!fs.existsSync(file)) return null
  const index = JSON.parse(fs.readFileSync(file, 'utf8'))
  const cases = index[AGENT]
  if (!cases) return null
  const results = {}
  for (const id of Object.keys(cases).sort(caseOrder)) {
    const { behavior, behaviorClose, remoteCloseCode, duration, reportfile } = cases[id]
    results[id] = { behavior, behaviorClose, remoteCloseCode, duration, reportfile }
  }
  return results
}

function countVerdicts(results) {
  const counts = { behavior: {}, behaviorClose: {} }
  for (const r of Object.values(results)) {
    counts.behavior[r.behavior] = (counts.behavior[r.behavior] ?? 0) + 1
    counts.behaviorClose[r.behaviorClose] = (counts.behaviorClose[r.behaviorClose] ?? 0) + 1
  }
  return counts
}

function compare(actualByRole) {
  const expected = fs.existsSync(EXPECTED) ? JSON.parse(fs.readFileSync(EXPECTED, 'utf8')) : null
  const summary = { agent: AGENT, date: new Date().toISOString(), roles: {} }
  const lines = []
  const regressions = []
  const improvements = []
  const changes = []
  for (const role of roles) {
    const actual = actualByRole[role]
    const want = expected?.[role] ?? null
    const roleSummary = { cases: actual ? Object.keys(actual).length : 0, counts: actual ? countVerdicts(actual) : null, notOk: [] }
    summary.roles[role] = roleSummary
    if (!actual) {
      lines.push(`${role}: no report (.autobahn/reports/${role}/index.json missing)`)
      if (want) regressions.push(`${role}: no report at all (${Object.keys(want).length} cases expected)`)
      continue
    }
    const fmt = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
    lines.push(`${role} role (${roleSummary.cases} cases):`)
    lines.push(`  behavior:      ${fmt(roleSummary.counts.behavior)}`)
    lines.push(`  behaviorClose: ${fmt(roleSummary.counts.behaviorClose)}`)
    for (const [id, r] of Object.entries(actual)) {
      if (r.behavior !== 'OK' || r.behaviorClose !== 'OK') {
        roleSummary.notOk.push({ id, behavior: r.behavior, behaviorClose: r.behaviorClose, remoteCloseCode: r.remoteCloseCode })
        lines.push(`  not OK: ${id.padEnd(8)} behavior ${r.behavior}, behaviorClose ${r.behaviorClose} (remoteCloseCode ${r.remoteCloseCode}) ${role}/${r.reportfile}`)
      }
    }
    if (!want) continue
    for (const id of Object.keys(want).sort(caseOrder)) {
      const w = want[id]
      const a = actual[id]
      if (!a) {
        regressions.push(`${role} ${id}: missing (expected ${w.behavior}/${w.behaviorClose})`)
        continue
      }
      for (const key of ['behavior', 'behaviorClose']) {
        const d = rank(a[key]) - rank(w[key])
        const text = `${role} ${id} ${key}: ${w[key]} → ${a[key]}`
        if (d < 0) regressions.push(text)
        else if (d > 0) improvements.push(text)
        else if (a[key] !== w[key]) changes.push(text)
      }
    }
    for (const id of Object.keys(actual)) if (!want[id]) changes.push(`${role} ${id}: new case, not in expected.json (${actual[id].behavior}/${actual[id].behaviorClose})`)
  }
  summary.regressions = regressions
  summary.improvements = improvements
  summary.changes = changes
  fs.mkdirSync(REPORTS, { recursive: true })
  fs.writeFileSync(path.join(REPORTS, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
  fs.writeFileSync(path.join(REPORTS, 'summary.txt'), lines.join('\n') + '\n')
  console.log(lines.join('\n'))
  for (const text of improvements) console.log(`IMPROVED  ${text}`)
  for (const text of changes) console.log(`CHANGED   ${text}`)
  for (const text of regressions) console.log(`REGRESSED ${text}`)
  return { expected, regressions }
}

function writeExpected(actualByRole) {
  const previous = fs.existsSync(EXPECTED) ? JSON.parse(fs.readFileSync(EXPECTED, 'utf8')) : {}
  const out = { ...previous }
  for (const role of roles) {
    const actual = actualByRole[role]
    if (!actual || Object.keys(actual).length === 0) die(`--update-expected: the ${role} role produced no report; expected.json not written`, 1)
    out[role] = Object.fromEntries(
      Object.entries(actual).map(([id, r]) => {
        const old = mergeExpected ? previous[role]?.[id] : undefined
        const pick = (key) => (old && rank(old[key]) < rank(r[key]) ? old[key] : r[key])
        return [id, { behavior: pick('behavior'), behaviorClose: pick('behaviorClose') }]
      }),
    )
  }
  if (roles.length === 2) {
    const a = Object.keys(out.server).join()
    const b = Object.keys(out.client).join()
    if (a !== b) die('--update-expected: the two roles ran different case sets; expected.json not written', 1)
  }
  const ordered = { agent: AGENT, wstest: 'AutobahnTestSuite 0.8.2', excluded: ['12.*', '13.*'], server: out.server, client: out.client }
  fs.writeFileSync(EXPECTED, JSON.stringify(ordered, null, 1) + '\n')
  log(`${mergeExpected ? 'merged this run into' : 'wrote'} ${path.relative(ROOT, EXPECTED)} (${roles.map((r) => `${r}: ${Object.keys(out[r]).length} cases`).join(', ')})`)
}

// ------------------------------------------------------------------ main
async function main() {
  fs.mkdirSync(REPORTS, { recursive: true })
  if (!noRun) {
    buildIfNeeded()
    const wstest = await installWstest()
    const stageMs = TOTAL_TIMEOUT_S * 1000
    for (const role of roles) {
      const t = Date.now()
      if (role === 'server') await withTimeout(runServerRole(wstest), stageMs, 'the server role')
      else await withTimeout(runClientRole(wstest), stageMs, 'the client role')
      log(`${role} role took ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
  }
  const actualByRole = Object.fromEntries(roles.map((role) => [role, readResults(role)]))
  if (updateExpected) writeExpected(actualByRole)
  const { expected, regressions } = compare(actualByRole)
  log(`summary: ${path.relative(ROOT, path.join(REPORTS, 'summary.txt'))}, reports: ${path.relative(ROOT, REPORTS)}/{server,client}/index.html`)
  if (!expected) {
    log(`no ${path.relative(ROOT, EXPECTED)}: run with --update-expected to record one`)
    return 1
  }
  if (regressions.length > 0) {
    log(`FAILED: ${regressions.length} regression(s) against ${path.relative(ROOT, EXPECTED)}`)
    return 1
  }
  log(`passed: no regression against ${path.relative(ROOT, EXPECTED)}`)
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

#!/usr/bin/env node
// Dev tool, not part of CI: runs the `ws` package's own mocha tests (test/websocket.test.js and
// test/websocket-server.test.js) against poco-websocket's ws-compatible API and prints, per file,
// how many of the tests that use only ws's public API pass.
//
// It needs a checkout of https://github.com/websockets/ws (a work tree, or a bare git directory:
// then the files are read with `git show <rev>:test/...`). Nothing of ws is copied into this
// repository: the test files, their certificate fixtures and test/duplex-pair.js go to a
// temporary directory, next to small shims this script writes there:
//   index.js            what `require('..')` resolves to: MessageWebSocket as ws's default
//                       export, with WebSocket, WebSocketServer, Server and createWebSocketStream
//                       attached as statics where the class lacks them
//   lib/event-target.js our CloseEvent, ErrorEvent, Event, MessageEvent
//   lib/constants.js    plain values (an empty buffer, the RFC 6455 GUID, a no-op, whether Blob
//                       exists) and a placeholder kListener symbol
//   lib/sender.js       a placeholder that throws: ws's frame encoder is an internal
//   reporter.js         a mocha reporter that collects the results as JSON
// A test whose source touches ws internals (Sender/Receiver, kListener/kStatusCode symbols,
// `._private` fields such as ws._socket, ws._req, ws._receiver) is not a public-API test: the
// reporter marks it pending before the run (so neither it nor its hooks run) and it is counted
// apart, as "internal"; so is one that checks a result is ws's own EMPTY_BUFFER object.
//
// Usage:
//   node scripts/ws-suite/run.mjs <ws checkout> [options]
//     --package <file>   the module under test (default: this repo's dist/index.js; build first
//                        with `npm run build:ts`)
//     --rev <rev>        with a bare git directory: the revision to read (default HEAD)
//     --file <name>      run one file only (websocket.test.js or websocket-server.test.js);
//                        repeatable
//     --grep <regex>     passed to mocha's --grep
//     --dir <dir>        use this directory instead of a fresh temporary one (kept afterwards)
//     --mocha <bin>      mocha's executable (default: node_modules/.bin/mocha in --dir or in the
//                        checkout, else `npx --yes mocha`)
//     --json <file>      also write every result (title, state, error) as JSON
//     --failures         list each failing public-API test with the first line of its error
//     --timeout <ms>     mocha's per-test timeout (default 2000, as in ws's own runs)
// Exit code 0 whatever the counts (this is a measurement, not a gate); 2 on a usage error.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '..', '..')
const FILES = ['websocket.test.js', 'websocket-server.test.js']

function usage(msg) {
  if (msg) console.error(msg)
  console.error('usage: node scripts/ws-suite/run.mjs <ws checkout> [--package f] [--rev r] [--file f]...')
  process.exit(2)
}

const args = process.argv.slice(2)
const opts = { files: [], rev: 'HEAD', timeout: '2000' }
let checkout
for (let i = 0; i < args.length; i++) {
  const a = args[i]
  const next = () => (i + 1 < args.length ? args[++i] : usage(`${a} needs a value`))
  if (a === '--package') opts.pkg = path.resolve(next())
  else if (a === '--rev') opts.rev = next()
  else if (a === '--file') opts.files.push(next())
  else if (a === '--grep') opts.grep = next()
  else if (a === '--dir') opts.dir = path.resolve(next())
  else if (a === '--mocha') opts.mocha = next()
  else if (a === '--json') opts.json = path.resolve(next())
  else if (a === '--timeout') opts.timeout = next()
  else if (a === '--failures') opts.failures = true
  else if (a.startsWith('--')) usage(`unknown option ${a}`)
  else if (checkout === undefined) checkout = path.resolve(a)
  else usage(`unexpected argument ${a}`)
}
if (!checkout) usage('a ws checkout is needed')
const pkg = opts.pkg ?? path.join(repoRoot, 'dist', 'index.js')
if (!fs.existsSync(pkg)) usage(`${pkg} does not exist (npm run build:ts)`)
const files = opts.files.length ? opts.files : FILES
for (const f of files) if (!FILES.includes(f)) usage(`--file: one of ${FILES.join(', ')}`)

// ---- reading the checkout: a work tree, or a bare git directory ----
const isWorkTree = fs.existsSync(path.join(checkout, 'test', 'websocket.test.js'))
const isBare = !isWorkTree && fs.existsSync(path.join(checkout, 'HEAD')) && fs.existsSync(path.join(checkout, 'objects'))
if (!isWorkTree && !isBare) usage(`${checkout}: neither a ws work tree nor a bare git directory`)

function git(...gitArgs) {
  const r = spawnSync('git', ['--git-dir', checkout, ...gitArgs], { encoding: 'buffer', maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`git ${gitArgs.join(' ')}: ${r.stderr.toString()}`)
  return r.stdout
}
function readFromCheckout(rel) {
  return isWorkTree ? fs.readFileSync(path.join(checkout, rel)) : git('show', `${opts.rev}:${rel}`)
}
function listFixtures() {
  if (isWorkTree) return fs.readdirSync(path.join(checkout, 'test', 'fixtures')).map((f) => `test/fixtures/${f}`)
  return git('ls-tree', '--name-only', opts.rev, 'test/fixtures/').toString().split('\n').filter(Boolean)
}
function wsVersion() {
  try {
    return JSON.parse(readFromCheckout('package.json').toString()).version
  } catch {
    return '?'
  }
}

// ---- the temporary directory ----
const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'poco-ws-suite-'))
fs.mkdirSync(path.join(dir, 'test', 'fixtures'), { recursive: true })
fs.mkdirSync(path.join(dir, 'lib'), { recursive: true })
for (const f of files) fs.writeFileSync(path.join(dir, 'test', f), readFromCheckout(`test/${f}`))
fs.writeFileSync(path.join(dir, 'test', 'duplex-pair.js'), readFromCheckout('test/duplex-pair.js'))
for (const f of listFixtures()) fs.writeFileSync(path.join(dir, f), readFromCheckout(f))

const pkgLiteral = JSON.stringify(pkg)
fs.writeFileSync(
  path.join(dir, 'index.js'),
  `'use strict';
// Written by poco-websocket's scripts/ws-suite/run.mjs: ws's default export, mapped onto
// poco-websocket's named exports.
const poco = require(${pkgLiteral});
const WebSocket = poco.MessageWebSocket;
const statics = {
  WebSocket,
  WebSocketServer: poco.WebSocketServer,
  Server: poco.WebSocketServer,
  createWebSocketStream: poco.createWebSocketStream,
};
for (const [name, value] of Object.entries(statics)) {
  if (!(name in WebSocket)) Object.defineProperty(WebSocket, name, { value, configurable: true });
}
module.exports = WebSocket;
`,
)
fs.writeFileSync(
  path.join(dir, 'lib', 'event-target.js'),
  `'use strict';
const { CloseEvent, ErrorEvent, Event, MessageEvent } = require(${pkgLiteral});
module.exports = { CloseEvent, ErrorEvent, Event, MessageEvent };
`,
)
fs.writeFileSync(
  path.join(dir, 'lib', 'constants.js'),
  `'use strict';
module.exports = {
  EMPTY_BUFFER: Buffer.alloc(0),
  GUID: '258EAFA5-E914-47DA-95CA-C5AB0DC85B11', // RFC 6455, section 1.3
  hasBlob: typeof Blob !== 'undefined',
  NOOP: () => {},
  kListener: Symbol('ws internal: not part of the public API'),
};
`,
)
fs.writeFileSync(
  path.join(dir, 'lib', 'sender.js'),
  `'use strict';
const internal = () => { throw new Error('ws internal (lib/sender): not part of the public API'); };
module.exports = new Proxy(function Sender() { internal(); }, { get: (t, k) => (k in t ? t[k] : internal) });
`,
)
// Tests whose source names one of these are ws-internal tests (an identity check against ws's
// own EMPTY_BUFFER constant is one too: only a deep comparison is public behaviour).
const INTERNAL = String.raw`\bSender\b|\bReceiver\b|\bkListener\b|\bkStatusCode\b|\.\_[A-Za-z]\w*|[^p]strictEqual\(\w+, EMPTY_BUFFER\)`
fs.writeFileSync(
  path.join(dir, 'reporter.js'),
  `'use strict';
// Written by poco-websocket's scripts/ws-suite/run.mjs.
const fs = require('fs');
const INTERNAL = new RegExp(${JSON.stringify(INTERNAL)});
function file(t) { return t.file ? require('path').basename(t.file) : '?'; }
module.exports = class PocoSuiteReporter {
  constructor(runner, options) {
    const results = [];
    const out = (options.reporterOptions || {}).out || process.env.POCO_WS_SUITE_OUT;
    const walk = (suite) => {
      for (const t of suite.tests) {
        if (INTERNAL.test(t.body || '')) { t.pending = true; t.__internal = true; }
      }
      suite.suites.forEach(walk);
    };
    walk(runner.suite);
    const rec = (t, state, err) => {
      const r = { file: file(t), title: t.fullTitle(), state, internal: !!t.__internal,
        deflate: /perMessageDeflate|compress|deflate/i.test((t.body || '') + ' ' + t.fullTitle()) };
      if (t.type === 'hook') r.hook = true;
      if (err) r.error = { message: String(err.message || err).slice(0, 600), code: err.code,
        name: err.name, stack: String(err.stack || '').split('\\n').slice(1, 4).join('\\n') };
      results.push(r);
      process.stdout.write(state === 'passed' ? '.' : state === 'failed' ? 'F' : t.__internal ? 'i' : ',');
    };
    runner.on('pass', (t) => rec(t, 'passed'));
    runner.on('fail', (t, err) => rec(t, 'failed', err));
    runner.on('pending', (t) => rec(t, t.__internal ? 'internal' : 'pending'));
    runner.once('end', () => {
      const seen = new Set(results.filter((r) => !r.hook).map((r) => r.file + '\\0' + r.title));
      const grep = process.env.POCO_WS_SUITE_GREP ? new RegExp(process.env.POCO_WS_SUITE_GREP) : null;
      const unrun = (suite) => {
        for (const t of suite.tests) {
          if (grep && !grep.test(t.fullTitle())) continue;
          if (!seen.has(file(t) + '\\0' + t.fullTitle())) results.push({ file: file(t), title: t.fullTitle(),
            state: t.__internal ? 'internal' : 'failed', internal: !!t.__internal, notRun: true,
            error: { message: 'not run (a hook of its suite failed, or mocha stopped)' } });
        }
        suite.suites.forEach(unrun);
      };
      unrun(runner.suite);
      process.stdout.write('\\n');
      fs.writeFileSync(out, JSON.stringify(results, null, 1));
    });
  }
};
`,
)

// ---- mocha ----
function mochaCommand() {
  if (opts.mocha) return [opts.mocha, []]
  for (const base of [dir, isWorkTree ? checkout : null]) {
    const bin = base && path.join(base, 'node_modules', '.bin', 'mocha')
    if (bin && fs.existsSync(bin)) return [bin, []]
  }
  return ['npx', ['--yes', 'mocha']]
}
const [mochaBin, mochaPre] = mochaCommand()

const all = []
for (const f of files) {
  const out = path.join(dir, `results-${f}.json`)
  fs.rmSync(out, { force: true })
  const mochaArgs = [...mochaPre, '--reporter', path.join(dir, 'reporter.js'), '--timeout', opts.timeout, '--exit']
  if (opts.grep) mochaArgs.push('--grep', opts.grep)
  mochaArgs.push(path.join('test', f))
  console.log(`# ${f}`)
  const r = spawnSync(mochaBin, mochaArgs, {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, POCO_WS_SUITE_OUT: out, POCO_WS_SUITE_GREP: opts.grep ?? '' },
    timeout: 15 * 60 * 1000,
  })
  if (!fs.existsSync(out)) {
    console.log(`  mocha ended without results (status ${r.status}, signal ${r.signal}${r.error ? `, ${r.error.message}` : ''})`)
    continue
  }
  all.push(...JSON.parse(fs.readFileSync(out, 'utf8')))
}

// ---- counts ----
console.log(`\nws ${wsVersion()} tests against ${pkg}`)
for (const f of files) {
  const rs = all.filter((r) => r.file === f && !r.hook)
  const pub = rs.filter((r) => !r.internal)
  const passed = pub.filter((r) => r.state === 'passed').length
  const failed = pub.filter((r) => r.state === 'failed')
  const pending = pub.filter((r) => r.state === 'pending').length
  const internal = rs.length - pub.length
  const deflateFailed = failed.filter((r) => r.deflate).length
  console.log(
    `${f}: public API ${passed}/${pub.length} passed (${failed.length} failed, ${deflateFailed} of them` +
      ` naming deflate/compress; ${pending} pending); ${internal} internal tests not run`,
  )
  const hooks = all.filter((r) => r.file === f && r.hook)
  for (const h of hooks) console.log(`  hook failed: ${h.title}: ${h.error?.message}`)
  if (opts.failures)
    for (const r of failed) console.log(`  ✗ ${r.title}\n      ${(r.error?.message ?? '').split('\n')[0]}`)
}
if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(all, null, 1))
if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true })

// Install test (npm run test:install, run by CI after the build): installs poco-websocket the way a
// user does, from packed tarballs, into an empty project with no Rust toolchain on PATH.
//
// 1. `npm pack` the main package and this platform's package (npm/<platform> plus the addon built
//    into native/), and check what the main tarball holds: what users need, nothing else.
// 2. Install the main tarball without optional dependencies: loading must fail with the message that
//    says what to do.
// 3. Install both tarballs; run examples/quick-start/echo.cjs (require) and echo.mjs (import), check
//    that ESM and CommonJS see the same named exports and the same classes, and that the poco-ws
//    command runs.
// 4. Type-check examples/quick-start/echo.mts and echo.cts against the installed typings (Node's
//    module rules, strict, no skipLibCheck), compile and run them.
//
// Needs `npm run build` first. The temporary project is removed unless KEEP_INSTALL_TEST=1.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const binaryName = pkg.napi.binaryName
let failures = 0
let passes = 0

function check(ok, what, detail = '') {
  if (ok) passes++
  else failures++
  console.log(`${ok ? 'ok' : 'FAILED'} - ${what}${!ok && detail ? `\n${detail}` : ''}`)
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options })
  if (result.error) throw result.error
  return result
}

/** This process's platform in napi's naming, as the package directories under npm/ are named. */
function platformAbi() {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  return `linux-${arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

const abi = platformAbi()
const addon = path.join(root, 'native', `${binaryName}.${abi}.node`)
const platformDir = path.join(root, 'npm', abi)
for (const [file, hint] of [
  [path.join(root, 'dist', 'index.mjs'), 'npm run build:ts'],
  [addon, 'npm run build:native'],
  [path.join(platformDir, 'package.json'), `napi create-npm-dirs (no npm/${abi})`],
]) {
  if (!existsSync(file)) {
    console.error(`install-test: ${path.relative(root, file)} is missing; run ${hint} first`)
    process.exit(1)
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'poco-websocket-install-'))
const npmCli = process.env.npm_execpath?.endsWith('.js')
  ? process.env.npm_execpath
  : path.join(run('npm', ['root', '-g'], { shell: process.platform === 'win32' }).stdout.trim(), 'npm', 'bin', 'npm-cli.js')

// PATH without Rust: drop every directory holding cargo or rustc; node and npm come from a shim dir.
const exe = process.platform === 'win32' ? '.exe' : ''
const shims = path.join(work, 'bin')
mkdirSync(shims)
if (process.platform === 'win32') cpSync(process.execPath, path.join(shims, `node${exe}`))
else symlinkSync(process.execPath, path.join(shims, `node${exe}`))
const barePath = [shims, ...(process.env.PATH ?? '').split(path.delimiter).filter(
  (dir) => dir && !['cargo', 'rustc', 'rustup'].some((tool) => existsSync(path.join(dir, tool + exe))),
)].join(path.delimiter)
const env = { ...process.env, PATH: barePath, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }
for (const key of Object.keys(env)) if (/^(npm_(config|lifecycle|package)_|CARGO|RUSTUP)/i.test(key) && !/^npm_config_(fund|audit|update_notifier|cache|registry|userconfig)$/i.test(key)) delete env[key]
const npm = (args, cwd) => run(process.execPath, [npmCli, ...args], { cwd, env })

try {
  // 1. Pack.
  const packed = run(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root })
  check(packed.status === 0, 'npm pack (main package)', packed.stderr)
  const main = JSON.parse(packed.stdout)[0]
  const files = main.files.map((file) => file.path)
  const forbidden = files.filter((file) =>
    /^(target|crates|__test__|src|scripts|examples|npm|node_modules|docs|\.ci|\.github)\//.test(file) ||
    /^dist\/(__test__|examples)\//.test(file) || /\.(node|map|ts\.map|rs|tgz)$/.test(file) || /^(Cargo\.|tsconfig|typedoc)/.test(file))
  check(forbidden.length === 0, 'the main tarball holds no build inputs, tests, addons or source maps', forbidden.join('\n'))
  const required = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/index.mjs', 'dist/index.d.mts', 'native/index.js', 'native/index.d.ts', 'dist/cli/poco-ws.js']
  const missing = required.filter((file) => !files.includes(file))
  check(missing.length === 0, 'the main tarball holds the entry points, typings, loader, the poco-ws command, README and LICENSE', missing.join('\n'))
  const scripts = Object.keys(pkg.scripts ?? {}).filter((name) => /^(pre|post)?install$/.test(name))
  check(scripts.length === 0, 'no install scripts (installing never builds)', scripts.join(', '))
  console.log(`# main tarball: ${main.filename}, ${files.length} files, ${main.size} bytes`)

  const staged = path.join(work, `platform-${abi}`)
  cpSync(platformDir, staged, { recursive: true })
  cpSync(addon, path.join(staged, path.basename(addon)))
  const packedPlatform = run(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: staged })
  check(packedPlatform.status === 0, `npm pack (npm/${abi})`, packedPlatform.stderr)
  const platform = JSON.parse(packedPlatform.stdout)[0]
  check(platform.files.some((file) => file.path === path.basename(addon)), `the ${platform.name} tarball holds ${path.basename(addon)}`)
  console.log(`# platform tarball: ${platform.filename}, ${platform.size} bytes`)

  // An empty project, no Rust.
  const project = path.join(work, 'project')
  mkdirSync(project)
  check(npm(['init', '-y'], project).status === 0, 'npm init -y')
  const cargo = spawnSync('cargo', ['--version'], { env, cwd: project })
  check(cargo.error?.code === 'ENOENT', 'no cargo on PATH in the test project')
  for (const example of ['echo.cjs', 'echo.mjs', 'echo.mts', 'echo.cts']) {
    cpSync(path.join(root, 'examples', 'quick-start', example), path.join(project, example))
  }

  // 2. Without the platform package: a clear message.
  const mainTgz = path.join(work, main.filename)
  const platformTgz = path.join(work, platform.filename)
  let install = npm(['install', '--omit=optional', mainTgz], project)
  check(install.status === 0, 'npm install <main tarball> --omit=optional', install.stdout + install.stderr)
  let load = run(process.execPath, ['-e', "require('poco-websocket')"], { cwd: project, env })
  check(load.status !== 0 && load.stderr.includes(`poco-websocket: no native addon for ${abi}`) &&
    load.stderr.includes(`poco-websocket-${abi}`), 'without its platform package, loading says what is missing', load.stderr)

  // 3. Both tarballs: CommonJS and ESM round trips.
  install = npm(['install', mainTgz, platformTgz], project)
  check(install.status === 0, 'npm install <main tarball> <platform tarball>', install.stdout + install.stderr)
  const installed = readdirSync(path.join(project, 'node_modules')).filter((name) => name.startsWith('poco-websocket'))
  console.log(`# installed: ${installed.join(', ')}`)
  for (const example of ['echo.cjs', 'echo.mjs']) {
    const result = run(process.execPath, [example], { cwd: project, env, timeout: 30_000 })
    check(result.status === 0 && result.stdout.trim() === 'echo: Hello', `node ${example}: echo round trip`, result.stdout + result.stderr)
  }
  // The package's bin, through npm's own shim (a symlink here, a .cmd on Windows).
  const version = npm(['exec', '--no', '--', 'poco-ws', '--version'], project)
  check(version.status === 0 && version.stdout.trim() === pkg.version, `npm exec poco-ws --version: ${pkg.version}`, version.stdout + version.stderr)
  writeFileSync(path.join(project, 'exports.mjs'), [
    "import * as esm from 'poco-websocket'",
    "import { WebSocket, HTTPServer } from 'poco-websocket'",
    "import { createRequire } from 'node:module'",
    "const cjs = createRequire(import.meta.url)('poco-websocket')",
    "const missing = Object.keys(cjs).filter((name) => !(name in esm))",
    "if (missing.length) throw new Error('not exported to ESM: ' + missing.join(', '))",
    "if (WebSocket !== cjs.WebSocket || HTTPServer !== cjs.HTTPServer) throw new Error('two module instances')",
    "console.log(Object.keys(cjs).length)",
  ].join('\n'))
  const exportsCheck = run(process.execPath, ['exports.mjs'], { cwd: project, env })
  check(exportsCheck.status === 0, `import and require see the same ${exportsCheck.stdout.trim()} exports and classes`, exportsCheck.stderr)

  // 4. TypeScript users, ESM and CommonJS, against the installed typings.
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true,
      skipLibCheck: false, outDir: 'out', types: ['node'],
      typeRoots: [path.join(root, 'node_modules', '@types')],
    },
    files: ['echo.mts', 'echo.cts'],
  }, null, 2))
  const tsc = run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project, env })
  check(tsc.status === 0, 'tsc: echo.mts and echo.cts type-check against the installed package', tsc.stdout + tsc.stderr)
  for (const example of ['echo.mjs', 'echo.cjs']) {
    const result = run(process.execPath, [path.join('out', example)], { cwd: project, env, timeout: 30_000 })
    check(result.status === 0 && result.stdout.trim() === 'echo: Hello', `node out/${example} (compiled TypeScript): echo round trip`, result.stdout + result.stderr)
  }
} catch (error) {
  check(false, 'install test', String(error?.stack ?? error))
} finally {
  if (process.env.KEEP_INSTALL_TEST === '1') console.log(`# kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

console.log(`install-test: ${passes} passed, ${failures} failed`)
process.exit(failures === 0 ? 0 : 1)

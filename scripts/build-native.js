// Builds the native addon in release mode into native/ (poco-websocket.<platform>.node and the
// generated loader native/index.js + index.d.ts).
//
//   node scripts/build-native.js                  the host's target
//   node scripts/build-native.js --target <triple>  one of package.json's napi.targets (release workflow)
//
// Linux glibc targets on a Linux x64 or arm64 host are linked with napi-rs's glibc 2.17 cross
// toolchain (`--use-napi-cross`), so the binary loads on old distributions; Linux musl targets go
// through cargo-zigbuild (`-x`, needs `zig` on PATH); macOS and Windows use the host toolchain.
// POCO_WS_HOST_TOOLCHAIN=1 skips the glibc 2.17 toolchain and links with the host's.
//
// The toolchain for the host CPU and target (`@napi-rs/cross-toolchain-<host>-target-<arch>`, a
// `cpu`-restricted package, so not a devDependency: npm would refuse it on other machines) is
// fetched by `@napi-rs/cross-toolchain` itself with `npm pack` on first use and extracted once into
// ~/.napi-rs/cross-toolchain/<version>/<triple>.
'use strict'
const { spawnSync } = require('node:child_process')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const argv = process.argv.slice(2)
const targetIndex = argv.findIndex((arg) => arg === '--target' || arg === '-t')
let target = targetIndex >= 0 ? argv.splice(targetIndex, 2)[1] : undefined

const glibcHost = process.platform === 'linux' && Boolean(process.report?.getReport().header.glibcVersionRuntime)
const hostTriples = { x64: 'x86_64-unknown-linux-gnu', arm64: 'aarch64-unknown-linux-gnu' }
if (!target && glibcHost) target = hostTriples[process.arch]

const args = [
  'build', '--platform', '--release',
  '--manifest-path', 'crates/binding/Cargo.toml',
  '--package-json-path', 'package.json',
  '--output-dir', 'native', '--js', 'index.js', '--dts', 'index.d.ts',
  ...argv,
]
if (target) args.push('--target', target)

const linuxHost = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')
if (target?.endsWith('-linux-gnu') && linuxHost && process.env.POCO_WS_HOST_TOOLCHAIN !== '1') {
  args.push('--use-napi-cross')
} else if (target?.includes('-linux-musl')) {
  args.push('--cross-compile')
}

const napi = require.resolve('@napi-rs/cli/package.json').replace(/package\.json$/, 'dist/cli.js')
const result = spawnSync(process.execPath, [napi, ...args], { cwd: root, stdio: 'inherit' })
process.exit(result.status ?? 1)

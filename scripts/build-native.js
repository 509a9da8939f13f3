// Builds the native addon in release mode into native/. On linux-x64 it uses napi-rs's glibc 2.17
// cross toolchain (from npm), so the binary loads on old distributions; elsewhere the host toolchain.
'use strict'
const { spawnSync } = require('node:child_process')

const args = [
  'build', '--platform', '--release',
  '--manifest-path', 'crates/binding/Cargo.toml',
  '--package-json-path', 'package.json',
  '--output-dir', 'native', '--js', 'index.js', '--dts', 'index.d.ts',
]
const glibc = process.platform === 'linux' && process.report?.getReport().header.glibcVersionRuntime
if (glibc && process.arch === 'x64') args.push('--target', 'x86_64-unknown-linux-gnu', '--use-napi-cross')

const napi = require.resolve('@napi-rs/cli/package.json').replace(/package\.json$/, 'dist/cli.js')
const result = spawnSync(process.execPath, [napi, ...args], { stdio: 'inherit' })
process.exit(result.status ?? 1)

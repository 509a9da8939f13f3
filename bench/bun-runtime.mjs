// Finds the Bun runtime of the pinned devDependency @oven/bun-linux-x64 (its `bin/bun`) and
// checks that it runs here. The package is Linux x64 glibc only; npm leaves it out elsewhere,
// and the Bun rows are then unavailable, with the reason.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const PACKAGE = '@oven/bun-linux-x64'

/** Environment for every Bun process: Bun's opt-out of usage reporting (the machine has no network anyway). */
export const BUN_ENV = { DO_NOT_TRACK: '1' }

/** Resolves to { path, version, package } or throws an Error that says why Bun cannot run. */
export function prepareBun() {
  let pkgJson
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`)
  } catch {
    throw new Error(`${PACKAGE} is not installed (run \`npm install\`; it exists for Linux x64 with glibc only, this is ${process.platform} ${process.arch})`)
  }
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'))
  const path = join(dirname(pkgJson), 'bin', 'bun')
  if (!existsSync(path)) throw new Error(`${path} is missing`)
  const run = spawnSync(path, ['--version'], { encoding: 'utf8', env: { ...process.env, ...BUN_ENV }, timeout: 20_000 })
  if (run.error) throw new Error(`${path} --version: ${run.error.message}`)
  if (run.status !== 0) {
    const why = run.signal === 'SIGILL' ? ' (illegal instruction: this build needs AVX2; the -baseline package does not)' : ''
    throw new Error(`${path} --version failed (${run.signal ?? `exit ${run.status}`})${why}: ${(run.stderr || '').trim().slice(-300)}`)
  }
  return { path, version: run.stdout.trim(), package: `${PACKAGE}@${pkg.version}` }
}

// `node bench/bun-runtime.mjs`: check and print.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(prepareBun())
  } catch (error) {
    console.error(`Bun unavailable: ${error.message}`)
    process.exit(1)
  }
}

import type * as Native from '../native/index'

/** The platforms with a prebuilt addon package, `poco-websocket-<platform>` (see README "Platforms"). */
export const PREBUILT_PLATFORMS = [
  'linux-x64-gnu',
  'linux-x64-musl',
  'linux-arm64-gnu',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64-msvc',
] as const

/** This process's platform in the napi naming: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, … */
export function currentPlatform(): string {
  const { platform, arch } = process
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform !== 'linux') return `${platform}-${arch}`
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined
  return `linux-${arch}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`
}

/**
 * Loads the napi loader generated into native/ (it picks `native/poco-websocket.<platform>.node`
 * from a source build, else the `poco-websocket-<platform>` package). When no addon fits, the
 * generated error is replaced by one that says what to do, with the original as its `cause`.
 */
export function loadNative(): typeof Native {
  try {
    // Compiled code runs from dist/src, two levels below the package root.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('../../native/index.js')
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (!/^(Cannot find|Failed to load) native binding/.test(message)) throw error
    const platform = currentPlatform()
    const prebuilt = (PREBUILT_PLATFORMS as readonly string[]).includes(platform)
    const advice = prebuilt
      ? `Its prebuilt addon comes in the optional dependency poco-websocket-${platform}. If that is ` +
        'missing, reinstall without --omit=optional (--no-optional); if node_modules or the lockfile were ' +
        'made on another platform, delete both and run npm install again. If it failed to load, the cause ' +
        'below says why.'
      : `There is no prebuilt addon for it (prebuilt: ${PREBUILT_PLATFORMS.join(', ')}). Build one from ` +
        'source with Rust (https://rustup.rs): clone the poco-websocket repository, run npm install there, ' +
        'and set NAPI_RS_NATIVE_LIBRARY_PATH to the native/poco-websocket.*.node it builds.'
    throw Object.assign(
      new Error(`poco-websocket: no native addon for ${platform} (Node.js ${process.version}). ${advice}`),
      { cause: error },
    )
  }
}

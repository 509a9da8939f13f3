// Debian's headless Chromium (/usr/bin/chromium, installed by .ci/run) through playwright-core,
// for the browser tests: the skip rule and a launch whose teardown cleans up.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'

import test, { type ExecutionContext } from 'ava'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** `test`, or a skip where Chromium is missing and this is not CI (there a missing browser fails). */
export function browserTest(file: string): typeof test {
  const haveChromium = existsSync(CHROMIUM)
  if (!haveChromium && !process.env.CI) console.warn(`${file}: skipped, ${CHROMIUM} is missing (apt-get install chromium; CI installs it)`)
  return haveChromium || process.env.CI ? test : (test.skip as unknown as typeof test)
}

/** Launches Chromium with a temporary user-data dir; the test's teardown closes it and removes the dir. */
export async function launch(t: ExecutionContext): Promise<BrowserContext> {
  t.true(existsSync(CHROMIUM), `${CHROMIUM} is missing: .ci/run installs Debian's chromium package`)
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'poco-ws-chromium-'))
  let context: BrowserContext | undefined
  t.teardown(async () => {
    await context?.close().catch(() => {})
    rmSync(userDataDir, { recursive: true, force: true })
  })
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 30_000 })
  context.setDefaultTimeout(10_000)
  return context
}

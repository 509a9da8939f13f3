// The browser demo of `npm start` (examples/chat-server.ts, examples/chat.html) in Debian's headless
// Chromium, driven by playwright-core: two pages chat through our server, a binary message
// round-trips, and close codes from both sides reach the page and the server.
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'

import type { Page } from 'playwright-core'

import { browserTest as browserTest_, launch } from './chromium'

const CHAT_SERVER = path.join(__dirname, '..', 'examples', 'chat-server.js')

const browserTest = browserTest_('browser.test')

/** Runs the chat demo with PORT=0; resolves to its page URL and the lines it logs. */
async function startChatServer(): Promise<{ child: ChildProcess; url: string; log: string[] }> {
  const child = spawn(process.execPath, [CHAT_SERVER], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log: string[] = []
  let pending = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chat server did not start: ${log.join('\n')}`)), 10_000)
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        log.push(line)
        const match = /open (http:\/\/\S+\/)/.exec(line)
        if (match) {
          clearTimeout(timer)
          resolve(match[1])
        }
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`chat server exited with ${code}: ${log.join('\n')}`))
    })
  })
  return { child, url, log }
}

async function join(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url)
  await page.fill('#name', name)
  await page.click('#join')
  await statusIs(page, `connected as ${name}`)
}

/** Waits until the page's status line reads exactly `text`. */
async function statusIs(page: Page, text: string): Promise<void> {
  await page.locator('#status').filter({ hasText: new RegExp(`^${escapeRegExp(text)}$`) }).waitFor()
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Waits until an item of the page's message list has exactly `text`. */
async function seen(page: Page, text: string): Promise<void> {
  await page.locator('#messages').getByText(text, { exact: true }).waitFor()
}

const status = (page: Page): Promise<string | null> => page.textContent('#status')

browserTest('browser demo: two Chromium pages chat, a binary message round-trips, close codes reach the page', async (t) => {
  t.timeout(90_000)
  const context = await launch(t)
  const server = await startChatServer()
  t.teardown(() => void server.child.kill('SIGKILL'))
  const alice = await context.newPage()
  const bob = await context.newPage()

  // The page comes from the same HTTPServer as the WebSocket.
  const response = await alice.goto(server.url)
  t.is(response?.status(), 200)
  t.is(await alice.title(), 'poco-websocket chat')

  await join(alice, server.url, 'alice')
  await join(bob, server.url, 'bob')
  await seen(alice, '* bob joined')
  await seen(bob, 'welcome, bob; here: alice')

  // Text, both ways, through the server.
  await alice.fill('#text', 'hello bob')
  await alice.click('#send')
  await seen(bob, 'alice: hello bob')
  await seen(alice, 'alice: hello bob')
  await bob.fill('#text', 'hi alice ✓')
  await bob.press('#text', 'Enter')
  await seen(alice, 'bob: hi alice ✓')

  // Binary: an ArrayBuffer goes to the server and comes back to its sender only.
  await alice.click('#binary')
  await seen(alice, 'binary round trip: 8 bytes de ad be ef 00 01 7f ff (matches)')
  const bobItems = await bob.$$eval('#messages li', (items) => items.map((li) => li.textContent ?? ''))
  t.false(bobItems.some((text) => text.includes('binary')), 'a binary message goes back to its sender only')

  // The server closes bob's connection with 4001: the code and reason reach bob's page.
  await alice.fill('#text', '/kick bob')
  await alice.click('#send')
  await statusIs(bob, 'closed: 4001 kicked by alice')
  await seen(alice, '* bob left (4001 kicked by alice)')

  // alice leaves with 4000 and a reason: the server sees both; its CLOSE answer echoes the code,
  // which the page shows once the close handshake is over.
  await alice.click('#leave')
  await statusIs(alice, 'closed: 4000')
  t.is(await status(bob), 'closed: 4001 kicked by alice')
  await waitFor(() => server.log.includes('alice left: 4000 left the chat'))
  t.true(server.log.includes('bob left: 4001 kicked by alice'), server.log.join('\n'))
})

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

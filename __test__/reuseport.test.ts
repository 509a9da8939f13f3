// WebSocketServer `reusePort` (SO_REUSEPORT): two worker processes listen on one port and both
// serve connections; without the option the second one gets an 'error' (EADDRINUSE-like).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import * as path from 'node:path'

import test from 'ava'
import WS from 'ws'

import { WebSocketServer } from '../index'

const WORKER = path.join(__dirname, 'fixtures', 'reuseport-worker.js')

// Killed however a test ends, so that a failure cannot keep the test process from exiting.
const children: ChildProcess[] = []
test.after.always(() => {
  for (const child of children) child.kill()
})

/** A worker on `port` (0: any) answering every connection with its pid; resolves to its port. */
async function worker(port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(WORKER, [String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  children.push(child)
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, port: message.port }
}

async function pidOf(port: number): Promise<string> {
  const ws = new WS(`ws://127.0.0.1:${port}/`)
  const [data] = (await once(ws, 'message')) as [Buffer]
  ws.close()
  return data.toString()
}

test('two workers share one port with reusePort; connections reach both', async (t) => {
  const first = await worker(0)
  const second = await worker(first.port)
  t.is(second.port, first.port)
  const pids = new Set<string>()
  for (let i = 0; i < 40 && pids.size < 2; i++) pids.add(await pidOf(first.port))
  t.deepEqual([...pids].sort(), [String(first.child.pid), String(second.child.pid)].sort())
})

test('without reusePort a second server on the port gets an error event', async (t) => {
  const first = await worker(0)
  const wss = new WebSocketServer({ host: '127.0.0.1', port: first.port })
  const [error] = (await once(wss, 'error')) as [Error]
  t.truthy(error)
})

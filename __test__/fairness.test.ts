// Fairness to the event loop (Node's rule for streams: data is delivered from I/O callbacks, a
// batch at a time): a Poco-style `receiveFrame` loop on many busy connections must not starve
// timers or other sockets. 64 clients of the frame API each keep 32 frames of 32 B in flight
// against an echo server in another process, answering every echo with a new frame; meanwhile a
// 50 ms interval must keep firing and a quiet connection must still get its echo. (A generous
// bound, not a speed test.)
import { spawn, type ChildProcess } from 'node:child_process'
import * as path from 'node:path'
import { createInterface } from 'node:readline'

import test from 'ava'

import { HTTPClientSession, HTTPMessage, HTTPRequest, HTTPResponse, SendFlags, WebSocket } from '../index'

async function echoServerProcess(): Promise<{ child: ChildProcess; port: number }> {
  const script = path.join(__dirname, '..', 'examples', 'autobahn-message-server.js')
  const child = spawn(process.execPath, [script, '0', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) {
    const match = /listening on ws:\/\/[^:]+:(\d+)\//.exec(line)
    if (match) return { child, port: Number(match[1]) }
  }
  throw new Error('the echo server did not start')
}

async function client(port: number): Promise<WebSocket> {
  const request = new HTTPRequest(HTTPRequest.HTTP_GET, '/', HTTPMessage.HTTP_1_1)
  return WebSocket.connect(new HTTPClientSession('127.0.0.1', port), request, new HTTPResponse())
}

test('64 busy receiveFrame loops leave timers and a quiet connection served', async (t) => {
  const { child, port } = await echoServerProcess()
  try {
    const busy = await Promise.all(Array.from({ length: 64 }, () => client(port)))
    const quiet = await client(port)
    const payload = Buffer.alloc(32, 0x61)
    let running = true
    let echoed = 0
    const loops = busy.map(async (ws) => {
      for (let i = 0; i < 32; i++) void ws.sendFrame(payload, SendFlags.FRAME_BINARY)
      while (running) {
        const frame = await ws.receiveFrame()
        if (frame.eof) return
        echoed++
        void ws.sendFrame(frame.payload, SendFlags.FRAME_BINARY)
      }
    })
    // Let the traffic build up, then count ticks over 2 s.
    await new Promise((resolve) => setTimeout(resolve, 300))
    let ticks = 0
    const interval = setInterval(() => ticks++, 50)
    const quietEcho = (async () => {
      await quiet.sendFrame('are you there?', SendFlags.FRAME_TEXT)
      return (await quiet.receiveFrame()).payload.toString()
    })()
    await new Promise((resolve) => setTimeout(resolve, 2000))
    clearInterval(interval)
    running = false
    t.log(`${echoed} echoes, ${ticks} of 40 ticks`)
    t.true(echoed > 1000, 'traffic flowed')
    t.true(ticks >= 20, `the 50 ms interval fired ${ticks} times in 2 s`)
    t.is(await quietEcho, 'are you there?')
    for (const ws of [...busy, quiet]) ws.close()
    await Promise.allSettled(loops)
  } finally {
    child.kill()
  }
})

// Loopback ports for the helper servers the tests start (tinyproxy, redis-server).
import type { ChildProcess } from 'node:child_process'
import * as net from 'node:net'

/** A port nothing listens on now (the OS's pick, released). */
export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves once `child` (called `name` in errors) accepts connections on `port`. */
export async function waitUntilListening(port: number, child: ChildProcess, name: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`)
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (up) return
    if (Date.now() > deadline) throw new Error(`${name} did not start listening within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

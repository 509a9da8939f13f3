// A real Redis for the tests: Debian's redis-server (installed by .ci/run) on a free loopback
// port, without persistence; the test kills and restarts it to make an outage.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'

import { freePort, waitUntilListening } from './ports'

export const redisInstalled = spawnSync('redis-server', ['--version']).status === 0

export interface RunningRedis {
  port: number
  url: string
  /** Starts it (again) on the same port; resolves once it accepts connections. */
  start(): Promise<void>
  /** Kills it (SIGKILL: an outage, not a shutdown); resolves once it is gone. */
  kill(): Promise<void>
  /** Runs redis-cli against it with `args`. */
  cli(...args: string[]): string
}

/** A redis-server on a free port, not started yet: `start()` it. Killed when the process exits. */
export async function redisServer(): Promise<RunningRedis> {
  const port = await freePort()
  let child: ChildProcess | null = null
  const killNow = (): void => void child?.kill('SIGKILL')
  process.once('exit', killNow)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      child = spawn('redis-server', args, { stdio: 'ignore' })
      await waitUntilListening(port, child, 'redis-server')
    },
    async kill() {
      const running = child
      child = null
      if (!running || running.exitCode !== null || running.signalCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGKILL')
      await exited
    },
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout,
  }
}

// A real HTTP proxy for the tests: Debian's tinyproxy (installed by .ci/run), started on a free
// loopback port with a generated configuration, and stopped by the test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { freePort, waitUntilListening } from './ports'

export const tinyproxyInstalled = spawnSync('tinyproxy', ['-v']).status === 0

export interface ProxyOptions {
  /** Ports CONNECT may reach (tinyproxy allows every port when the list is empty). */
  connectPorts: number[]
  /** Require Basic proxy credentials. */
  basicAuth?: { user: string; password: string }
}

export interface RunningProxy {
  port: number
  /** tinyproxy's log so far. */
  log(): string
  stop(): Promise<void>
}

export async function startTinyproxy(options: ProxyOptions): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'poco-websocket-tinyproxy-'))
  const port = await freePort()
  const logFile = join(dir, 'tinyproxy.log')
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    'MaxClients 50',
    'LogLevel Info',
    `LogFile "${logFile}"`,
    ...options.connectPorts.map((p) => `ConnectPort ${p}`),
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ]
  const configFile = join(dir, 'tinyproxy.conf')
  writeFileSync(configFile, config.join('\n') + '\n')
  // -d: stay in the foreground, so the test owns the process.
  const child = spawn('tinyproxy', ['-d', '-c', configFile], { stdio: 'ignore' })
  const kill = (): boolean => child.kill('SIGKILL')
  process.once('exit', kill)
  await waitUntilListening(port, child, 'tinyproxy')
  return {
    port,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8')
      } catch {
        return ''
      }
    },
    stop: async () => {
      process.off('exit', kill)
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(kill, 2000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// Child process for the idle-connections test: opens N raw WebSocket connections to
// 127.0.0.1:<port>, reports how many were upgraded, then holds them until killed.
import * as net from 'node:net'

const [port, count] = process.argv.slice(2).map(Number)
const request =
  'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
const held: net.Socket[] = []

function open(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request))
    socket.once('data', (chunk) => {
      held.push(socket)
      resolve(chunk.toString('latin1').startsWith('HTTP/1.1 101'))
    })
    socket.once('error', () => resolve(false))
  })
}

async function main(): Promise<void> {
  let upgraded = 0
  for (let i = 0; i < count; i += 500) {
    const batch = await Promise.all(Array.from({ length: Math.min(500, count - i) }, open))
    upgraded += batch.filter(Boolean).length
  }
  process.send!(upgraded)
}

void main()

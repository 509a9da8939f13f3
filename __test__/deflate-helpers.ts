// A raw client for the permessage-deflate tests: an upgrade request with extra fields, and the
// server frames that follow the answer.
import * as net from 'node:net'

import { headComplete, readUntil, upgradeRequest } from './helpers'

export interface RawAnswer {
  head: string
  body: string
  /** The bytes after the head (frames, on a 101). */
  rest: Buffer
}

/** Sends an upgrade request with `fields` and reads the answer and, on a 101, `frames` frames. */
export async function rawUpgradeWith(port: number, fields: Record<string, string>, frames = 0): Promise<RawAnswer> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.once('connect', resolve))
  const done = (bytes: Buffer): boolean => {
    if (!headComplete(bytes)) return false
    const end = bytes.indexOf('\r\n\r\n') + 4
    if (!bytes.subarray(0, 12).toString('latin1').endsWith('101')) return true
    return readFrames(bytes.subarray(end)).length >= frames
  }
  const received = readUntil(socket, done)
  socket.write(upgradeRequest(fields))
  const first = await received
  // A refusal's body may follow its head in a later read.
  const bytes = first.subarray(0, 12).toString('latin1').endsWith('101') ? first : Buffer.concat([first, await rest(socket)])
  socket.destroy()
  const end = bytes.indexOf('\r\n\r\n') + 4
  return { head: bytes.subarray(0, end).toString('latin1'), body: bytes.subarray(end).toString('latin1'), rest: bytes.subarray(end) }
}

function rest(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const timer = setTimeout(() => resolve(Buffer.concat(chunks)), 500)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

/** The complete unmasked frames at the front of `bytes`. */
export function readFrames(bytes: Buffer): Array<{ flags: number; payload: Buffer }> {
  const frames: Array<{ flags: number; payload: Buffer }> = []
  let at = 0
  while (bytes.length - at >= 2) {
    let length = bytes[at + 1] & 0x7f
    let header = 2
    if (length === 126) {
      if (bytes.length - at < 4) break
      length = bytes.readUInt16BE(at + 2)
      header = 4
    } else if (length === 127) {
      if (bytes.length - at < 10) break
      length = Number(bytes.readBigUInt64BE(at + 2))
      header = 10
    }
    if (bytes.length - at < header + length) break
    frames.push({ flags: bytes[at], payload: bytes.subarray(at + header, at + header + length) })
    at += header + length
  }
  return frames
}

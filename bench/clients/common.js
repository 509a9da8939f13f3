// Shared by the client benchmarks: settings from the environment and the measurement window.
//   PORT (of the echo server), CONNECTIONS (1), SIZE (32), DEPTH (messages in flight per
//   connection, 1), WARMUP and DURATION in seconds (0.5, 2).
// A client calls start(count) once its connections are open, where count() returns how many
// echoed messages it has received so far; one JSON line is printed and the process exits.
'use strict'

const settings = {
  port: Number(process.env.PORT),
  connections: Number(process.env.CONNECTIONS || 1),
  size: Number(process.env.SIZE || 32),
  depth: Math.max(1, Number(process.env.DEPTH || 1)),
  warmup: Number(process.env.WARMUP || 0.5),
  duration: Number(process.env.DURATION || 2),
}
if (!settings.port) {
  console.error('PORT is required')
  process.exit(2)
}

function payload(size) {
  const buf = Buffer.alloc(size)
  for (let i = 0; i < size; i++) buf[i] = 97 + (i % 26)
  return buf
}

function start(client, count) {
  setTimeout(() => {
    const c0 = count()
    const t0 = process.hrtime.bigint()
    setTimeout(() => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const messages = count() - c0
      const perSec = messages / seconds
      console.log(JSON.stringify({
        client, connections: settings.connections, size: settings.size, depth: settings.depth,
        seconds, messages, msgs_per_sec: perSec, mb_per_sec: (perSec * settings.size) / 1e6,
      }))
      process.exit(messages > 0 ? 0 : 1)
    }, settings.duration * 1000)
  }, settings.warmup * 1000)
}

function fail(client, error) {
  console.error(`${client}: ${error && error.stack ? error.stack : error}`)
  process.exit(1)
}

module.exports = { settings, payload, start, fail }

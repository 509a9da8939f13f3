// Echo server on uWebSockets.js (the binary prepared by bench/uws-compat.mjs, whose path comes in
// UWS_MODULE; run with the LD_PRELOAD it returns on glibc < 2.38). JS handler on every message.
// DEFLATE=<a uWS compressor constant, e.g. DEDICATED_COMPRESSOR_3KB or SHARED_COMPRESSOR> enables
// permessage-deflate with that compressor and compresses every echo.
// Prints {"ready":true,"server":"uws","port":P,"pid":N} once listening.
'use strict'
const modulePath = process.env.UWS_MODULE || require.resolve('@btc-vision/uwebsockets.js')
const uWS = require(modulePath)
const port = Number(process.env.PORT || 0)
const deflate = process.env.DEFLATE || ''
if (deflate && typeof uWS[deflate] !== 'number') {
  console.error(`uws: DEFLATE=${deflate} is no uWS compressor`)
  process.exit(2)
}
const compress = deflate !== ''

const app = uWS.App().ws('/*', {
  compression: compress ? uWS[deflate] : uWS.DISABLED,
  maxPayloadLength: 4 * 1024 * 1024,
  maxBackpressure: 64 * 1024 * 1024,
  idleTimeout: 0, // no pings, no idle close: idle connections stay as they are
  message: (ws, message, isBinary) => {
    ws.send(message, isBinary, compress)
  },
})
app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws: cannot listen on ${port}`)
    process.exit(1)
  }
  const actual = uWS.us_socket_local_port(token)
  console.log(JSON.stringify({ ready: true, server: 'uws', port: actual, pid: process.pid }))
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

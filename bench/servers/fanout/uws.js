// Fan-out server on uWebSockets.js (prepared by bench/uws-compat.mjs, path in UWS_MODULE):
// connections to /publish are publishers; the others subscribe to topic 'bench' when they open,
// and every message of a publisher goes to app.publish('bench', …).
// PORT (0 = any); prints {"ready":true,"server":"uws","port":P,"pid":N} once listening.
'use strict'
const modulePath = process.env.UWS_MODULE || require.resolve('@btc-vision/uwebsockets.js')
const uWS = require(modulePath)
const port = Number(process.env.PORT || 0)

const settings = {
  compression: uWS.DISABLED,
  maxPayloadLength: 4 * 1024 * 1024,
  // uWS skips a subscriber whose backpressure passes this: high enough that none is skipped.
  maxBackpressure: 64 * 1024 * 1024,
  idleTimeout: 0,
}
const app = uWS.App()
  .ws('/publish', {
    ...settings,
    message: (ws, message, isBinary) => {
      app.publish('bench', message, isBinary)
    },
  })
  .ws('/*', {
    ...settings,
    open: (ws) => {
      ws.subscribe('bench')
    },
  })
app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws: cannot listen on ${port}`)
    process.exit(1)
  }
  console.log(JSON.stringify({ ready: true, server: 'uws', port: uWS.us_socket_local_port(token), pid: process.pid }))
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0))

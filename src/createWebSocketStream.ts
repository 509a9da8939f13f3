import { Duplex, type DuplexOptions } from 'node:stream'

import type { MessageWebSocket } from './MessageWebSocket'

/**
 * ws's `createWebSocketStream`: a Duplex whose writes are sent as messages and whose reads are
 * the messages received (text as strings in object mode, else Buffers). Reading backs off with
 * `pause()` while the readable side is full; ending the writable side closes the socket;
 * destroying the stream terminates it.
 */
export function createWebSocketStream(ws: MessageWebSocket, options?: DuplexOptions): Duplex {
  // After an error the socket is already going down; terminate() would only cut its CLOSE short.
  let terminateOnDestroy = true
  const duplex = new Duplex({ ...options, autoDestroy: false, emitClose: false, objectMode: false, writableObjectMode: false })

  ws.on('message', (message: Buffer, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? message.toString() : message
    if (!duplex.push(data)) ws.pause()
  })
  ws.once('error', (error: Error) => {
    if (duplex.destroyed) return
    terminateOnDestroy = false
    duplex.destroy(error)
  })
  ws.once('close', () => {
    if (!duplex.destroyed) duplex.push(null)
  })

  duplex._destroy = (error, callback) => {
    // 'close' is emitted by hand (emitClose is off) once the socket has closed too.
    const emitClose = (): void => void process.nextTick(() => duplex.emit('close'))
    if (ws.readyState === ws.CLOSED) {
      callback(error)
      emitClose()
      return
    }
    let called = false
    ws.once('error', (wsError: Error) => {
      called = true
      callback(wsError)
    })
    ws.once('close', () => {
      if (!called) callback(error)
      emitClose()
    })
    if (terminateOnDestroy) ws.terminate()
  }

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback))
      return
    }
    if (ws.readyState === ws.CLOSED) {
      // A failed handshake or a closed socket: nothing left to flush.
      callback()
      return
    }
    // Our sends are in the runtime's write buffer already; the close handshake flushes them.
    ws.once('close', () => callback())
    ws.close()
  }

  duplex._read = () => {
    if (ws.isPaused) ws.resume()
  }

  duplex._write = (chunk: Buffer, _encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback))
      return
    }
    ws.send(chunk, callback)
  }

  // Done once both sides are: whichever of 'end' and 'finish' comes second destroys.
  const destroyWhenDone = (): void => {
    if (!duplex.destroyed && duplex.readableEnded && duplex.writableFinished) duplex.destroy()
  }
  duplex.on('end', destroyWhenDone)
  duplex.on('finish', destroyWhenDone)
  duplex.on('error', function onError(this: Duplex, error: Error) {
    this.removeListener('error', onError)
    this.destroy()
    // Without a listener of the caller's the error is thrown, as from any stream.
    if (this.listenerCount('error') === 0) this.emit('error', error)
  })
  return duplex
}

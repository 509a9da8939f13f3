// The frame-level echo loop both Autobahn programs use (autobahn-server.ts, autobahn-client.ts):
//   PING → PONG with the same payload; PONG → ignored; CLOSE → CLOSE with the same status code
//   (no payload if the received one had none), then stop; TEXT/BINARY/CONT → the same frame back
//   (same flags, fragments one by one); end of input ({n: 0, flags: 0} outside a fragmented
//   message) → stop; a WebSocketException from receiveFrame (the core failed the connection:
//   it already sent CLOSE 1002/1007/1009) → stop.
import { FrameFlags, FrameOpcodes, WebSocket, WebSocketException } from '../index'

const PONG = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PONG // 0x8A
const CLOSE = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE // 0x88
const CONT = FrameOpcodes.FRAME_OP_CONT // 0x00: a non-final continuation frame
const EMPTY = Buffer.alloc(0)
const verbose = process.env.AUTOBAHN_VERBOSE === '1'

/** Echoes frames until the connection ends; never throws. */
export async function echo(ws: WebSocket, label: string): Promise<void> {
  try {
    // Strict mode lets a CONT frame arrive only inside a fragmented message, so outside one
    // {n: 0, flags: 0} is the end of input. Inside one it is ambiguous: an empty non-final CONT
    // frame has flags 0x00 too (Poco's API has the same collision). Such results are counted and
    // echoed once a real frame proves they were frames; more of them than the core lets one
    // message have (getMaxFragments(), else it fails the connection with 1009) means end of input.
    let open = false // a fragmented data message is open
    let fragments = 0 // frames of the open message so far
    let pendingEmpty = 0 // {0, 0} results inside the open message, not yet echoed
    for (;;) {
      let frame
      try {
        frame = await ws.receiveFrame()
      } catch (error) {
        // The core failed the connection (1002/1007/1009): CLOSE sent, TCP closing.
        if (verbose) console.error(`${label}: receiveFrame: ${describe(error)}`)
        return
      }
      const { n, flags, payload } = frame
      if (n === 0 && flags === 0) {
        if (!open || ++fragments > ws.getMaxFragments()) return // the peer closed TCP
        pendingEmpty++
        continue
      }
      for (; pendingEmpty > 0; pendingEmpty--) await ws.sendFrame(EMPTY, CONT)
      const opcode = flags & FrameOpcodes.FRAME_OP_BITMASK
      switch (opcode) {
        case FrameOpcodes.FRAME_OP_PING:
          await ws.sendFrame(payload, PONG)
          break
        case FrameOpcodes.FRAME_OP_PONG:
          break
        case FrameOpcodes.FRAME_OP_CLOSE:
          // Same status code back; an empty CLOSE gets an empty CLOSE.
          await ws.sendFrame(payload.length >= 2 ? payload.subarray(0, 2) : EMPTY, CLOSE)
          return
        default: // TEXT, BINARY, CONT (other opcodes never get here in strict mode)
          fragments = opcode === FrameOpcodes.FRAME_OP_CONT ? fragments + 1 : 1
          open = (flags & FrameFlags.FRAME_FLAG_FIN) === 0
          await ws.sendFrame(payload, flags)
      }
    }
  } catch (error) {
    // A send failed: the peer is gone.
    if (verbose) console.error(`${label}: sendFrame: ${describe(error)}`)
  } finally {
    ws.close()
  }
}

export function describe(error: unknown): string {
  if (error instanceof WebSocketException) return `${error.displayText()} (code ${error.code}, close ${error.closeCode})`
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

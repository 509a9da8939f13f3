// The frame-level echo loop both Autobahn programs use (autobahn-server.ts, autobahn-client.ts):
//   PING → PONG with the same payload; PONG → ignored; CLOSE → CLOSE with the same status code
//   (no payload if the received one had none), then stop; TEXT/BINARY/CONT → the same frame back
//   (same flags, fragments one by one); end of input (`eof`; an empty non-final CONT frame is
//   `{n: 0, flags: 0}` too, as in Poco, with `eof` false) → stop; a WebSocketException from receiveFrame (the core failed the connection:
//   it already sent CLOSE 1002/1007/1009) → stop.
import { FrameFlags, FrameOpcodes, WebSocket, WebSocketException } from '../index'

const PONG = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_PONG // 0x8A
const CLOSE = FrameFlags.FRAME_FLAG_FIN | FrameOpcodes.FRAME_OP_CLOSE // 0x88
const EMPTY = Buffer.alloc(0)
const verbose = process.env.AUTOBAHN_VERBOSE === '1'

/** Echoes frames until the connection ends; never throws. */
export async function echo(ws: WebSocket, label: string): Promise<void> {
  try {
    for (;;) {
      let frame
      try {
        frame = await ws.receiveFrame()
      } catch (error) {
        // The core failed the connection (1002/1007/1009): CLOSE sent, TCP closing.
        if (verbose) console.error(`${label}: receiveFrame: ${describe(error)}`)
        return
      }
      const { flags, payload, eof } = frame
      if (eof) return // the peer closed TCP
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

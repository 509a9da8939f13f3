import { Blob as NodeBlob } from 'node:buffer'

/** How binary messages reach `message` listeners (ws's `binaryType`). */
export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'fragments' | 'blob'

/** The binary types this Node offers: 'blob' only where Node has a global Blob, as ws decides. */
export const BINARY_TYPES: readonly BinaryType[] =
  typeof (globalThis as { Blob?: unknown }).Blob === 'undefined' ? ['nodebuffer', 'arraybuffer', 'fragments'] : ['nodebuffer', 'arraybuffer', 'fragments', 'blob']

/** Whether `type` is a binary type ws would accept here (anything else is ignored by the setter). */
export function isBinaryType(type: unknown): type is BinaryType {
  return BINARY_TYPES.includes(type as BinaryType)
}

/** What a binary message looks like with each binary type. */
export type BinaryData = Buffer | ArrayBuffer | Buffer[] | NodeBlob

/**
 * A whole binary message in the form `type` asks for. The runtime hands over joined messages,
 * so 'fragments' is always a one-element array.
 */
export function binaryMessage(payload: Buffer, type: BinaryType): BinaryData {
  switch (type) {
    case 'arraybuffer':
      // The payload may be a view into a larger batch buffer: copy out only its bytes.
      return payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength
        ? (payload.buffer as ArrayBuffer)
        : (payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength) as ArrayBuffer)
    case 'fragments':
      return [payload]
    case 'blob':
      return new NodeBlob([payload])
    default:
      return payload
  }
}

/**
 * The one message on the hot path of a sync, built in place: a BEP Response frame laid out
 * around an empty slot of the block's size, so the block can be read from disk straight into
 * the frame that goes on the wire (no generic encode, no concatenation, no second copy of
 * 128 KiB). The bytes are exactly what `encodeFrame` makes of the same Response (a test holds
 * the two to each other): Header {type: Response}, no compression, then the protobuf body
 * `id` (field 1, omitted when 0), `data` (field 2, omitted when empty), `code` (field 3,
 * omitted when 0).
 */
import { encodeAs } from './pb.js'
import { bepTypes } from './schema.js'
import { messageTypeCodes } from './messages.js'
import type { BepResponseCode } from './messages.js'

const header = encodeAs(bepTypes.Header, { type: messageTypeCodes.response, compression: 0 })
const codes: Readonly<Record<BepResponseCode, number>> = { noError: 0, generic: 1, noSuchFile: 2, invalidFile: 3 }

function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

function writeVarint (buf: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[at++] = n
  return at
}

/**
 * A Response frame with room for the data: write the block at `dataOffset`, `dataLength`
 * bytes. `alloc` gives the frame's buffer (a pool's, so that frames are reused).
 */
export interface ResponseFrame {
  frame: Buffer
  dataOffset: number
  dataLength: number
}

/**
 * Lays out the frame of a Response to request `id` carrying `dataLength` bytes (to be filled
 * in by the caller) and answering `code`. IDs must be non-negative (a negative int32 takes ten
 * bytes on the wire; callers answer those with the generic encoder).
 */
export function responseFrame (id: number, dataLength: number, code: BepResponseCode = 'noError', alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size)): ResponseFrame {
  if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) throw new RangeError(`response id ${id} is not a non-negative int32`)
  const codeNo = codes[code]
  const body = (id === 0 ? 0 : 1 + varintLength(id)) +
    (dataLength === 0 ? 0 : 1 + varintLength(dataLength) + dataLength) +
    (codeNo === 0 ? 0 : 1 + varintLength(codeNo))
  const frame = alloc(2 + header.length + 4 + body)
  frame.writeUInt16BE(header.length, 0)
  frame.set(header, 2)
  let at = 2 + header.length
  frame.writeUInt32BE(body, at)
  at += 4
  if (id !== 0) {
    frame[at++] = 0x08
    at = writeVarint(frame, at, id)
  }
  let dataOffset = at
  if (dataLength !== 0) {
    frame[at++] = 0x12
    at = writeVarint(frame, at, dataLength)
    dataOffset = at
    at += dataLength
  }
  if (codeNo !== 0) {
    frame[at++] = 0x18
    writeVarint(frame, at, codeNo)
  }
  return { frame, dataOffset, dataLength }
}

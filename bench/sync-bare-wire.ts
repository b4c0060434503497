/**
 * The wire format of the bare data path of `npm run bench:sync` (sender → receiver over one
 * TLS 1.3 connection; no weft code). Every frame is a u32 (big-endian) length of what follows,
 * then a u8 type:
 *   HEADER: u32 file id, f64 size, u32 block count, u16 name length, the name (UTF-8, `/`
 *           separated, relative), then the SHA-256 of every block (32 bytes each);
 *   BLOCK:  u32 file id, u32 block index, the block's bytes (the rest of the frame);
 *   END:    u32 number of files sent.
 * Blocks are 128 KiB (the last of a file shorter), as in BEP below 256 MiB files.
 */

/** Bytes per block. */
export const BLOCK_SIZE = 128 * 1024
export const HEADER = 1
export const BLOCK = 2
export const END = 3
/** Length prefix, type, file id, block index: what precedes a block's bytes. */
export const BLOCK_PREFIX = 4 + 1 + 4 + 4

/** Encodes a HEADER frame. */
export function headerFrame (id: number, name: string, size: number, hashes: Buffer): Buffer {
  const nameBytes = Buffer.from(name, 'utf8')
  const frame = Buffer.allocUnsafe(4 + 1 + 4 + 8 + 4 + 2 + nameBytes.length + hashes.length)
  let o = frame.writeUInt32BE(frame.length - 4, 0)
  o = frame.writeUInt8(HEADER, o)
  o = frame.writeUInt32BE(id, o)
  o = frame.writeDoubleBE(size, o)
  o = frame.writeUInt32BE(hashes.length / 32, o)
  o = frame.writeUInt16BE(nameBytes.length, o)
  o += nameBytes.copy(frame, o)
  hashes.copy(frame, o)
  return frame
}

/** Writes a BLOCK frame's prefix into the first {@link BLOCK_PREFIX} bytes of `buf` (the block follows). */
export function blockPrefix (buf: Buffer, id: number, index: number, bytes: number): void {
  let o = buf.writeUInt32BE(1 + 4 + 4 + bytes, 0)
  o = buf.writeUInt8(BLOCK, o)
  o = buf.writeUInt32BE(id, o)
  buf.writeUInt32BE(index, o)
}

/** Encodes an END frame. */
export function endFrame (files: number): Buffer {
  const frame = Buffer.allocUnsafe(9)
  frame.writeUInt32BE(5, 0)
  frame.writeUInt8(END, 4)
  frame.writeUInt32BE(files, 5)
  return frame
}

/**
 * LZ4 *block* format (not the frame format), as BEP uses it for compressed messages: a greedy
 * single-pass compressor that follows the block end rules every LZ4 decoder expects (the last
 * 5 bytes are literals, no match starts in the last 12 bytes), and a decompressor that treats
 * its input as hostile: every length, offset and copy is checked against both buffers, and the
 * output size is fixed by the caller (and bounded by the input size) before anything is allocated.
 */
import { BepWireError } from './errors.js'

const minMatch = 4
/** The last bytes of a block are always literals. */
const lastLiterals = 5
/** No match may start within this many bytes of the end. */
const mfLimit = 12
const maxOffset = 65535
const hashLog = 16
/**
 * The largest expansion an LZ4 block can encode: a match sequence of 3 + k bytes yields at most
 * 19 + 255k bytes, literals one byte per byte. Declared sizes above it are impossible.
 */
const maxRatio = 255

/** Worst-case size of the compressed form of `n` bytes (LZ4's LZ4_COMPRESSBOUND). */
export function lz4CompressBound (n: number): number {
  return n + Math.floor(n / 255) + 16
}

/** Writes an LZ4 length extension (the part of a length above 15) at `op`; returns the new position. */
function writeExtension (out: Uint8Array, op: number, rest: number): number {
  while (rest >= 255) {
    out[op++] = 255
    rest -= 255
  }
  out[op++] = rest
  return op
}

/** Writes a token, the literals src[from, to) and, when `matchLen` > 0, the match part. */
function writeSequence (out: Uint8Array, op: number, src: Uint8Array, from: number, to: number, offset: number, matchLen: number): number {
  const litLen = to - from
  const ml = matchLen - minMatch
  const tokenPos = op++
  out[tokenPos] = (Math.min(litLen, 15) << 4) | (matchLen > 0 ? Math.min(ml, 15) : 0)
  if (litLen >= 15) op = writeExtension(out, op, litLen - 15)
  out.set(src.subarray(from, to), op)
  op += litLen
  if (matchLen === 0) return op
  out[op++] = offset & 0xff
  out[op++] = offset >>> 8
  if (ml >= 15) op = writeExtension(out, op, ml - 15)
  return op
}

/**
 * Compresses `src` into one LZ4 block. Always succeeds; the result may be larger than the input
 * (at most {@link lz4CompressBound}) for incompressible data.
 */
export function lz4CompressBlock (src: Uint8Array): Uint8Array {
  const n = src.length
  const out = new Uint8Array(lz4CompressBound(n))
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength)
  const table = new Int32Array(1 << hashLog).fill(-1)
  const hash = (v: number): number => Math.imul(v, 2654435761) >>> (32 - hashLog)
  const matchEnd = n - lastLiterals
  let op = 0
  let anchor = 0
  let i = 0
  while (i < n - mfLimit) {
    const seq = view.getUint32(i, true)
    const h = hash(seq)
    const ref = table[h] ?? -1
    table[h] = i
    if (ref < 0 || i - ref > maxOffset || view.getUint32(ref, true) !== seq) {
      i += 1 + ((i - anchor) >> 6) // skip faster through incompressible stretches
      continue
    }
    let len = minMatch
    while (i + len < matchEnd && src[ref + len] === src[i + len]) len++
    let start = i
    let back = ref
    while (start > anchor && back > 0 && src[start - 1] === src[back - 1]) {
      start--
      back--
      len++
    }
    op = writeSequence(out, op, src, anchor, start, start - back, len)
    i = start + len
    anchor = i
    if (i - 2 < n - mfLimit) table[hash(view.getUint32(i - 2, true))] = i - 2
  }
  op = writeSequence(out, op, src, anchor, n, 0, 0)
  return out.slice(0, op)
}

/** Reads an LZ4 length extension starting at `ip`; returns [added length, new position]. */
function readExtension (src: Uint8Array, ip: number): [number, number] {
  let sum = 0
  for (;;) {
    if (ip >= src.length) throw new BepWireError('lz4', 'LZ4 block truncated in a length')
    const b = src[ip++] ?? 0
    sum += b
    if (b !== 255) return [sum, ip]
  }
}

/**
 * Decompresses one LZ4 block that must expand to exactly `size` bytes. Refuses, before
 * allocating, sizes the input cannot possibly encode; then refuses any literal run or match that
 * would read past the input or write past `size`, zero offsets, offsets before the start of the
 * output, and blocks that end early or do not end with a literal run.
 * @throws BepWireError with reason 'lz4'
 */
export function lz4DecompressBlock (src: Uint8Array, size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new BepWireError('lz4', `invalid LZ4 uncompressed size ${size}`)
  if (size > src.length * maxRatio) {
    throw new BepWireError('lz4', `LZ4 block of ${src.length} bytes cannot expand to ${size} bytes`)
  }
  const out = new Uint8Array(size)
  const end = src.length
  let ip = 0
  let op = 0
  for (;;) {
    if (ip >= end) throw new BepWireError('lz4', 'LZ4 block truncated before a sequence')
    const token = src[ip++] ?? 0
    let lit = token >>> 4
    if (lit === 15) {
      const [extra, next] = readExtension(src, ip)
      lit += extra
      ip = next
    }
    if (lit > end - ip) throw new BepWireError('lz4', 'LZ4 literals run past the end of the block')
    if (lit > size - op) throw new BepWireError('lz4', 'LZ4 literals overflow the declared size')
    out.set(src.subarray(ip, ip + lit), op)
    ip += lit
    op += lit
    if (ip === end) break
    if (end - ip < 2) throw new BepWireError('lz4', 'LZ4 block truncated in an offset')
    const offset = (src[ip] ?? 0) | ((src[ip + 1] ?? 0) << 8)
    ip += 2
    if (offset === 0) throw new BepWireError('lz4', 'LZ4 match offset 0')
    if (offset > op) throw new BepWireError('lz4', `LZ4 match offset ${offset} points before the start (at ${op})`)
    let ml = token & 15
    if (ml === 15) {
      const [extra, next] = readExtension(src, ip)
      ml += extra
      ip = next
    }
    ml += minMatch
    if (ml > size - op) throw new BepWireError('lz4', 'LZ4 match overflows the declared size')
    if (offset >= ml) {
      out.copyWithin(op, op - offset, op - offset + ml)
      op += ml
    } else {
      // Overlapping copy: the match repeats the last `offset` bytes.
      for (let k = 0; k < ml; k++, op++) out[op] = out[op - offset] ?? 0
    }
  }
  if (op !== size) throw new BepWireError('lz4', `LZ4 block expands to ${op} bytes, ${size} declared`)
  return out
}

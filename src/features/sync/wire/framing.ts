/**
 * BEP v1 framing, byte-compatible with Syncthing's lib/protocol. Pre-auth Hello: u32 magic
 * 0x2EA7D90B, u16 length (at most 32767), Hello. After it, each message is u16 header length,
 * Header {type, compression}, u32 message length, message body; an LZ4 body is u32 uncompressed
 * length + one LZ4 block. The encoder compresses like Syncthing (bodies of 128+ bytes, per the
 * compression setting, only when it saves at least 1/32); the incremental decoder takes bytes in
 * arbitrary chunks and refuses every over-limit length as soon as it is read, before allocating.
 */
import { WeftError } from '../../../core/errors.js'
import type { BepCompression } from './clusterconfig.js'
import { BepWireError } from './errors.js'
import { ByteQueue } from './bytequeue.js'
import type { BufferPool } from './buffer-pool.js'
import { lz4CompressBlock, lz4DecompressBlock } from './lz4.js'
import {
  decodeHelloBody, decodeMessage, encodeHelloBody, encodeMessage, messageTypeCodes, messageTypeOf, type BepHello,
  type BepMessage
} from './messages.js'
import { decodeAs, encodeAs } from './pb.js'
import { bepTypes, type PbHeader } from './schema.js'

/** Magic number that starts a BEP v1 (Syncthing v0.14+) connection. */
export const helloMagic = 0x2ea7d90b
/** Pre-v0.14 magics and first words Syncthing recognises as "too old". */
const oldMagics = new Set([0x9f79bc40, 0x00010001, 0x00010000])
/** Largest Hello body (Syncthing reads the length as a positive int16). */
export const maxHelloBytes = 32767
/** Largest header (also a positive int16). */
const maxHeaderBytes = 32767
/** Syncthing's MaxMessageLen: the default limit for message bodies, compressed or not. */
export const defaultMaxMessageBytes = 500_000_000
/** Bodies smaller than this are never compressed (Syncthing's compressionThreshold). */
export const compressionThreshold = 128
const lz4Compression = 1

/** Options of {@link encodeFrame}. */
export interface EncodeOptions {
  /**
   * When to compress: `metadata` (default, Syncthing's default) compresses all but Response,
   * `always` everything, `never` nothing. Only bodies of at least 128 bytes are compressed, and
   * only when that saves at least 1/32 of the size.
   */
  compression?: BepCompression
  /** Largest body allowed (default 500,000,000). Larger messages are refused. */
  maxMessageBytes?: number
}

function u16 (n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff)
}

function u32 (n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
}

function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Encodes the pre-auth Hello: magic, length, body. */
export function encodeHello (hello: BepHello): Uint8Array {
  const body = encodeHelloBody(hello)
  if (body.length > maxHelloBytes) throw new BepWireError('tooLarge', `Hello of ${body.length} bytes exceeds ${maxHelloBytes}`)
  return concat([u32(helloMagic), u16(body.length), body])
}

/** Whether Syncthing's rules would try to compress this message under `mode`. */
export function wantsCompression (type: BepMessage['type'], bodyBytes: number, mode: BepCompression): boolean {
  if (mode === 'never' || bodyBytes < compressionThreshold) return false
  return mode === 'always' || type !== 'response'
}

/** Encodes one post-Hello message as a complete frame. */
export function encodeFrame (message: BepMessage, options: EncodeOptions = {}): Uint8Array {
  const limit = options.maxMessageBytes ?? defaultMaxMessageBytes
  const body = encodeMessage(message)
  if (body.length > limit) throw new BepWireError('tooLarge', `${message.type} of ${body.length} bytes exceeds ${limit}`)
  const type = messageTypeCodes[message.type]
  if (wantsCompression(message.type, body.length, options.compression ?? 'metadata')) {
    const block = lz4CompressBlock(body)
    if (4 + block.length <= body.length - Math.floor(body.length / 32)) {
      const header = encodeAs(bepTypes.Header, { type, compression: lz4Compression })
      return concat([u16(header.length), header, u32(4 + block.length), u32(body.length), block])
    }
  }
  const header = encodeAs(bepTypes.Header, { type, compression: 0 })
  return concat([u16(header.length), header, u32(body.length), body])
}

/** Options of {@link BepDecoder}. */
export interface DecoderOptions {
  /** Whether the stream starts with a Hello (default true). */
  expectHello?: boolean
  /** Largest message body, compressed or uncompressed (default 500,000,000). */
  maxMessageBytes?: number
  /** Buffers for bodies that arrive over several reads (a Response's block); see BufferPool. */
  pool?: BufferPool
}

/** What the decoder yields. */
export type BepFrame =
  | { kind: 'hello', hello: BepHello }
  | { kind: 'message', message: BepMessage, compressed: boolean, wireBytes: number }

function readU16 (b: Uint8Array): number {
  return ((b[0] ?? 0) << 8) | (b[1] ?? 0)
}

function readU32 (b: Uint8Array): number {
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0
}

type Step =
  | { s: 'magic' } | { s: 'helloLen' } | { s: 'hello', len: number }
  | { s: 'headerLen' } | { s: 'header', len: number }
  | { s: 'msgLen', header: PbHeader, headerLen: number }
  | { s: 'body', header: PbHeader, headerLen: number, len: number }

/**
 * Incremental BEP stream decoder. `push()` bytes as they arrive (in any chunking; the decoder
 * keeps references to them, do not reuse the buffers), then call `next()` until it returns
 * undefined. Any violation throws a BepWireError and leaves the decoder failed: a BEP stream
 * cannot be resynchronised, so close the connection.
 */
export class BepDecoder {
  private readonly queue: ByteQueue
  private readonly limit: number
  private step: Step
  private failure: BepWireError | undefined

  constructor (options: DecoderOptions = {}) {
    this.queue = new ByteQueue(options.pool)
    this.limit = options.maxMessageBytes ?? defaultMaxMessageBytes
    if (!Number.isSafeInteger(this.limit) || this.limit < 0) throw new WeftError('INVALID_ARGUMENT', `invalid maxMessageBytes ${this.limit}`)
    this.step = options.expectHello ?? true ? { s: 'magic' } : { s: 'headerLen' }
  }

  /** Bytes received but not yet consumed by a complete frame part. */
  get bufferedBytes (): number {
    return this.queue.length
  }

  /** Adds received bytes. */
  push (chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failed()
    this.queue.push(chunk)
  }

  /**
   * Adds received bytes and returns every frame now complete. Throws at the first violation,
   * dropping frames completed earlier in the same call; use push() + next() to get those too.
   */
  feed (chunk: Uint8Array): BepFrame[] {
    this.push(chunk)
    const out: BepFrame[] = []
    for (let f = this.next(); f !== undefined; f = this.next()) out.push(f)
    return out
  }

  /** The next complete frame, or undefined until more bytes arrive. */
  next (): BepFrame | undefined {
    if (this.failure !== undefined) throw this.failed()
    try {
      return this.advance()
    } catch (err) {
      this.failure = err instanceof BepWireError ? err : new BepWireError('badMessage', String(err), { cause: err })
      throw this.failure
    }
  }

  /** Call at end of stream: throws if a frame was cut off. */
  end (): void {
    if (this.failure !== undefined) throw this.failed()
    if (this.queue.length > 0 || (this.step.s !== 'headerLen' && this.step.s !== 'magic')) {
      this.failure = new BepWireError('truncated', `stream ended inside a frame (${this.queue.length} bytes pending)`)
      throw this.failure
    }
  }

  private failed (): BepWireError {
    return new BepWireError('failed', 'decoder already failed', { cause: this.failure })
  }

  private advance (): BepFrame | undefined {
    const q = this.queue
    for (;;) {
      const st = this.step
      switch (st.s) {
        case 'magic': {
          if (q.length < 4) return undefined
          const magic = readU32(q.take(4))
          if (magic !== helloMagic) {
            const why = oldMagics.has(magic) ? 'peer speaks a pre-v0.14 protocol' : 'unknown magic'
            throw new BepWireError('badMagic', `${why} 0x${magic.toString(16).padStart(8, '0')}`)
          }
          this.step = { s: 'helloLen' }
          break
        }
        case 'helloLen': {
          if (q.length < 2) return undefined
          const len = readU16(q.take(2))
          if (len > maxHelloBytes) throw new BepWireError('tooLarge', `Hello of ${len} bytes exceeds ${maxHelloBytes}`)
          this.step = { s: 'hello', len }
          break
        }
        case 'hello': {
          if (q.length < st.len) return undefined
          const hello = decodeHelloBody(q.take(st.len))
          this.step = { s: 'headerLen' }
          return { kind: 'hello', hello }
        }
        case 'headerLen': {
          if (q.length < 2) return undefined
          const len = readU16(q.take(2))
          if (len > maxHeaderBytes) throw new BepWireError('tooLarge', `header of ${len} bytes exceeds ${maxHeaderBytes}`)
          this.step = { s: 'header', len }
          break
        }
        case 'header': {
          if (q.length < st.len) return undefined
          const header = decodeAs<PbHeader>(bepTypes.Header, q.take(st.len))
          if (messageTypeOf(header.type) === undefined) throw new BepWireError('unknownType', `unknown message type ${header.type}`)
          if (header.compression !== 0 && header.compression !== lz4Compression) {
            throw new BepWireError('unknownType', `unknown message compression ${header.compression}`)
          }
          this.step = { s: 'msgLen', header, headerLen: st.len }
          break
        }
        case 'msgLen': {
          if (q.length < 4) return undefined
          const len = readU32(q.take(4))
          // Syncthing reads the length as an int32: above 2^31-1 it is negative, whatever the limit.
          if (len > this.limit || len > 0x7fffffff) throw new BepWireError('tooLarge', `message of ${len} bytes exceeds ${Math.min(this.limit, 0x7fffffff)}`)
          this.step = { s: 'body', header: st.header, headerLen: st.headerLen, len }
          break
        }
        case 'body': {
          if (q.length < st.len) return undefined
          const raw = q.take(st.len)
          this.step = { s: 'headerLen' }
          const compressed = st.header.compression === lz4Compression
          const body = compressed ? this.decompress(raw) : raw
          const message = decodeMessage(st.header.type, body)
          return { kind: 'message', message, compressed, wireBytes: 2 + st.headerLen + 4 + st.len }
        }
      }
    }
  }

  private decompress (raw: Uint8Array): Uint8Array {
    if (raw.length < 4) throw new BepWireError('truncated', `compressed message of ${raw.length} bytes is too short`)
    const size = readU32(raw)
    if (size > this.limit) throw new BepWireError('tooLarge', `decompressed message of ${size} bytes exceeds ${this.limit}`)
    return lz4DecompressBlock(raw.subarray(4), size)
  }
}

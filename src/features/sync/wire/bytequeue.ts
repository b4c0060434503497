/**
 * The receive buffer of the BEP stream decoder: chunks as they arrived, handed out again as
 * exact-length slices, so a frame split over many reads is copied once, and one that arrived in
 * a single read is not copied at all.
 */
import { WeftError } from '../../../core/errors.js'
import type { BufferPool } from './buffer-pool.js'

/** FIFO of received chunks; hands out exact-length slices (copying only across chunk boundaries). */
export class ByteQueue {
  /** @param pool - where buffers for frames spanning several chunks come from (default: fresh ones) */
  constructor (private readonly pool?: BufferPool) {}

  private chunks: Uint8Array[] = []
  /** Index of the first live chunk (consumed ones are dropped in batches, not shifted one by one). */
  private head = 0
  private offset = 0
  /** Bytes held. */
  length = 0

  /** Appends a chunk (kept by reference). */
  push (chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  /** Removes and returns the next `n` bytes; the caller checked `n <= length`. */
  take (n: number): Uint8Array {
    const first = this.chunks[this.head]
    if (first !== undefined && first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.advance(first, n)
      return out
    }
    // Not zero-filled: every byte is written below (a 128 KiB block would otherwise be cleared first).
    const out = this.pool?.take(n) ?? Buffer.allocUnsafe(n)
    let o = 0
    while (o < n) {
      const c = this.chunks[this.head]
      if (c === undefined) throw new WeftError('INTERNAL', 'byte queue underflow')
      const k = Math.min(c.length - this.offset, n - o)
      out.set(c.subarray(this.offset, this.offset + k), o)
      o += k
      this.advance(c, k)
    }
    return out
  }

  private advance (chunk: Uint8Array, k: number): void {
    this.offset += k
    this.length -= k
    if (this.offset < chunk.length) return
    this.offset = 0
    this.head++
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
    } else if (this.head >= 1024) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}

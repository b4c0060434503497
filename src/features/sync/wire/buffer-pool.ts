/**
 * Reusable buffers for block-sized messages. Every 128 KiB block received used to get a fresh
 * buffer that the garbage collector freed later; at 100+ MB/s that is hundreds of megabytes
 * of external memory a second, and V8 answers external memory growth with full collections of
 * the whole heap. A pool hands the same few buffers out again: the receive queue takes one
 * for a frame that spans several reads, and the puller gives it back once the block is on
 * disk. A buffer never given back is simply collected; one given back twice, or one the pool
 * did not hand out, is ignored.
 */

/** Buffers smaller than this are not pooled (they come from Node's own small-buffer pool). */
export const minPooledBytes = 64 * 1024

/** A pool of buffers in power-of-two sizes from {@link minPooledBytes} up. */
export class BufferPool {
  readonly #free = new Map<number, Buffer[]>()
  readonly #whole = new WeakMap<ArrayBufferLike, Buffer>()
  readonly #lent = new WeakSet<Buffer>()
  readonly #maxIdleBytes: number
  #idleBytes = 0

  /** @param maxIdleBytes - bytes of free buffers kept for reuse at most (default 32 MiB) */
  constructor (maxIdleBytes = 32 * 1024 * 1024) {
    this.#maxIdleBytes = maxIdleBytes
  }

  /** Bytes of free buffers held now. */
  get idleBytes (): number {
    return this.#idleBytes
  }

  /** A buffer of exactly `size` bytes, uninitialised (pooled when `size` is at least {@link minPooledBytes}). */
  take (size: number): Buffer {
    if (size < minPooledBytes) return Buffer.allocUnsafe(size)
    const capacity = 2 ** Math.ceil(Math.log2(size))
    let whole = this.#free.get(capacity)?.pop()
    if (whole === undefined) {
      whole = Buffer.allocUnsafeSlow(capacity)
      this.#whole.set(whole.buffer, whole)
    } else this.#idleBytes -= capacity
    this.#lent.add(whole)
    return whole.subarray(0, size)
  }

  /** Gives back a buffer from {@link take} (any view of it); the caller must not use it again. */
  release (view: Uint8Array): void {
    const whole = this.#whole.get(view.buffer)
    if (whole === undefined || !this.#lent.has(whole)) return
    this.#lent.delete(whole)
    if (this.#idleBytes + whole.length > this.#maxIdleBytes) return
    let list = this.#free.get(whole.length)
    if (list === undefined) this.#free.set(whole.length, list = [])
    list.push(whole)
    this.#idleBytes += whole.length
  }
}

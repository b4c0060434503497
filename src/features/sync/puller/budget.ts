/**
 * A counting semaphore on bytes: bounds the bytes of blocks held in memory across all files
 * being pulled at once. Waiters are served first come, first served; a request larger than
 * the whole budget is served alone once everything else is released.
 */
import { WeftError } from '../../../core/errors.js'

interface Waiter {
  bytes: number
  resolve: () => void
}

/** Bytes in flight, bounded. */
export class ByteBudget {
  /** The bound, in bytes. */
  readonly limit: number
  private used = 0
  private readonly waiters: Waiter[] = []

  /** @param limit - bytes allowed in flight at once (e.g. 64 MiB); at least 1. */
  constructor (limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new WeftError('INVALID_ARGUMENT', `byte budget must be a positive integer, got ${limit}`)
    this.limit = limit
  }

  /** Bytes currently taken. */
  get inFlight (): number {
    return this.used
  }

  /** Waits until `bytes` fit, then takes them; rejects with `ABORTED` when the signal fires. */
  async acquire (bytes: number, signal?: AbortSignal): Promise<void> {
    const wanted = Math.min(Math.max(0, bytes), this.limit)
    if (signal?.aborted === true) throw new WeftError('ABORTED', 'pull aborted', { cause: signal.reason })
    if (this.waiters.length === 0 && this.used + wanted <= this.limit) {
      this.used += wanted
      return
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes: wanted,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        this.drain()
        reject(new WeftError('ABORTED', 'pull aborted', { cause: signal?.reason }))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
    })
  }

  /** Gives back bytes taken with {@link acquire} (the same number). */
  release (bytes: number): void {
    this.used -= Math.min(Math.max(0, bytes), this.limit)
    if (this.used < 0) this.used = 0
    this.drain()
  }

  private drain (): void {
    for (;;) {
      const next = this.waiters[0]
      if (next === undefined || this.used + next.bytes > this.limit) return
      this.waiters.shift()
      this.used += next.bytes
      next.resolve()
    }
  }
}

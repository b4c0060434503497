/**
 * A transfer rate over the last few seconds, from a growing byte counter.
 */

/** Measures bytes per second over a sliding window. */
export class RateMeter {
  readonly #samples: Array<{ at: number, bytes: number }> = []
  readonly #windowMs: number

  constructor (windowMs = 5000) {
    this.#windowMs = windowMs
  }

  /** Records the counter's current value. */
  add (bytes: number, now = Date.now()): void {
    this.#samples.push({ at: now, bytes })
    while (this.#samples.length > 2 && (this.#samples[0]?.at ?? now) < now - this.#windowMs) this.#samples.shift()
  }

  /** Bytes per second over the window (0 without two samples). */
  perSecond (): number {
    const first = this.#samples[0]
    const last = this.#samples[this.#samples.length - 1]
    if (first === undefined || last === undefined || last.at === first.at) return 0
    return Math.max(0, (last.bytes - first.bytes) / ((last.at - first.at) / 1000))
  }

  /** Forgets the samples. */
  reset (): void {
    this.#samples.length = 0
  }
}

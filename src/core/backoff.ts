/**
 * Retry scheduling as pure state: per key (a device, a relay), when the next attempt is due. Failures
 * double the delay up to a cap, with jitter so that a fleet does not retry in lockstep;
 * success or fresh news of the device (discovery, new addresses) resets it.
 */

/** Parameters of {@link Backoff}. */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
  /** Random source in [0, 1), injectable for deterministic tests. */
  random?: () => number
}

/** Per-key exponential backoff. */
export class Backoff<K = string> {
  readonly #options: Required<BackoffOptions>
  readonly #next = new Map<K, { at: number, delay: number }>()

  constructor (options: BackoffOptions) {
    this.#options = { random: Math.random, ...options }
  }

  /** True when an attempt to `device` may start at time `now`. */
  due (device: K, now: number): boolean {
    return (this.#next.get(device)?.at ?? 0) <= now
  }

  /** Records a failed attempt at `now`; returns the delay until the next one. */
  failed (device: K, now: number): number {
    const previous = this.#next.get(device)?.delay ?? 0
    const base = previous === 0 ? this.#options.initialMs : Math.min(previous * 2, this.#options.maxMs)
    const delay = Math.round(base * (0.8 + 0.4 * this.#options.random()))
    this.#next.set(device, { at: now + delay, delay: base })
    return delay
  }

  /** Forgets every key's failures (the network changed: old failures say nothing now). */
  resetAll (): void {
    this.#next.clear()
  }

  /** Forgets the device's failures: the next attempt is due at once. */
  reset (device: K): void {
    this.#next.delete(device)
  }
}

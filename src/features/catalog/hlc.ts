/**
 * A hybrid logical clock (Kulkarni et al.): wall-clock milliseconds plus a counter, never
 * going backwards, and always ahead of every timestamp it has seen. Replicated entries are
 * ordered by (ms, counter, device ID): the last write wins everywhere, and two writes in
 * the same millisecond on two devices are ordered the same way on every member.
 */

/** A timestamp of the replicated store. */
export interface Stamp {
  ms: number
  c: number
  /** Device that wrote the entry (the tie break). */
  device: string
}

/** Timestamps from members further ahead of our clock than this are refused (a wrong clock would win forever). */
export const maxClockSkewMs = 5 * 60_000

/** Negative when a is older than b, 0 when the same, positive when newer. */
export function compareStamps (a: Stamp, b: Stamp): number {
  return a.ms - b.ms || a.c - b.c || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0)
}

/** The text form of a stamp, used as the version callers pass to check-and-set. */
export function formatVersion (s: Stamp): string {
  return `${s.ms}-${s.c}-${s.device.slice(0, 7)}`
}

/** The clock of one device. */
export class HybridClock {
  #ms = 0
  #c = 0
  readonly #device: string
  readonly #wall: () => number

  constructor (device: string, wall: () => number = Date.now) {
    this.#device = device
    this.#wall = wall
  }

  /** A new timestamp for a local write. */
  now (): Stamp {
    const pt = this.#wall()
    if (pt > this.#ms) { this.#ms = pt; this.#c = 0 } else this.#c++
    return { ms: this.#ms, c: this.#c, device: this.#device }
  }

  /** Moves the clock past a timestamp seen from elsewhere (or loaded from disk). */
  observe (s: { ms: number, c: number }): void {
    if (s.ms > this.#ms || (s.ms === this.#ms && s.c > this.#c)) { this.#ms = s.ms; this.#c = s.c }
  }
}

/**
 * Lifeguard's suspicion timers: a suspected member is declared dead when its timer runs
 * out; the timer starts long and shortens with every independent confirmation (another
 * member suspecting it too), so one member's bad link takes long to convict anyone, while
 * a failure many members see is declared quickly.
 */
import { suspicionTimeout } from './params.js'
import type { MemberId } from './types.js'

interface Suspicion {
  inc: number
  from: Set<MemberId>
  startedAt: number
  deadline: number
  /** Whether this machine has probed the suspect since the suspicion started. */
  probed: boolean
}

/** The running suspicion timers of one state machine. */
export class Suspicions {
  readonly #timers = new Map<MemberId, Suspicion>()

  /** Starts (or restarts, for a newer incarnation) the timer of `id`. */
  start (id: MemberId, inc: number, from: MemberId, now: number, bounds: { min: number, max: number, k: number }): void {
    this.#timers.set(id, { inc, from: new Set([from]), startedAt: now, deadline: now + suspicionTimeout(bounds.min, bounds.max, bounds.k, 0), probed: false })
  }

  /** Counts a confirmation; true when `from` had not suspected `id` before (worth spreading). */
  confirm (id: MemberId, inc: number, from: MemberId, bounds: { min: number, max: number, k: number }): boolean {
    const s = this.#timers.get(id)
    if (s === undefined || s.inc !== inc || s.from.has(from)) return false
    // Lifeguard counts at most k confirmations; more do not shorten the timer further.
    if (s.from.size - 1 >= bounds.k) return false
    s.from.add(from)
    s.deadline = s.startedAt + suspicionTimeout(bounds.min, bounds.max, bounds.k, s.from.size - 1)
    return true
  }

  /** A suspect not yet probed during its suspicion (probed next, so it can refute), marked as probed. */
  takeUnprobed (): MemberId | undefined {
    for (const [id, s] of this.#timers) {
      if (!s.probed) { s.probed = true; return id }
    }
    return undefined
  }

  stop (id: MemberId): void {
    this.#timers.delete(id)
  }

  has (id: MemberId): boolean {
    return this.#timers.has(id)
  }

  /** Earliest deadline, or Infinity. */
  next (): number {
    let min = Infinity
    for (const s of this.#timers.values()) if (s.deadline < min) min = s.deadline
    return min
  }

  /** Removes and returns the timers due at `now`. */
  due (now: number): Array<{ id: MemberId, inc: number }> {
    const out: Array<{ id: MemberId, inc: number }> = []
    for (const [id, s] of this.#timers) {
      if (s.deadline <= now) {
        out.push({ id, inc: s.inc })
        this.#timers.delete(id)
      }
    }
    return out
  }
}

/**
 * The queue of updates waiting to be piggy-backed (memberlist's TransmitLimitedQueue): each
 * update goes out a bounded number of times, least-sent first, and a newer update about a
 * member replaces the queued one.
 */
import { messageSize } from './codec.js'
import type { MemberId, Update } from './types.js'

interface Queued {
  update: Update
  transmits: number
  /** Insertion order, to break ties newest first. */
  order: number
}

/** Updates waiting to be sent. */
export class BroadcastQueue {
  readonly #byMember = new Map<MemberId, Queued>()
  #order = 0

  /** Queues `update`, replacing any queued update about the same member. */
  push (update: Update): void {
    this.#byMember.set(update.id, { update, transmits: 0, order: this.#order++ })
  }

  /** Queued updates. */
  get length (): number {
    return this.#byMember.size
  }

  /** The queued update about `id`, if any. */
  peek (id: MemberId): Update | undefined {
    return this.#byMember.get(id)?.update
  }

  /**
   * Takes updates that fit in `bytes` (fewest transmits first, then newest), counts one
   * transmit each, and drops those that reached `limit`.
   */
  take (bytes: number, limit: number, maxCount: number): Update[] {
    if (this.#byMember.size === 0 || bytes <= 0) return []
    const items = [...this.#byMember.values()].sort((a, b) => a.transmits - b.transmits || b.order - a.order)
    const out: Update[] = []
    let left = bytes
    for (const q of items) {
      if (out.length >= maxCount) break
      const size = messageSize(q.update)
      if (size > left) continue
      left -= size
      out.push(q.update)
      q.transmits++
      if (q.transmits >= limit) this.#byMember.delete(q.update.id)
    }
    return out
  }
}

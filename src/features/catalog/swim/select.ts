/**
 * Choosing members without storing per-round lists: probe order is a fresh permutation
 * i ↦ (a·i + b) mod L each round (a coprime with L), computed as it goes, and random picks
 * sample indexes and skip ineligible ones. Both cost O(1) memory whatever the cluster size.
 */
import type { MemberTable } from './members.js'
import type { MemberId } from './types.js'

function gcd (a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** Round-robin probe order over a member table, reshuffled every round. */
export class ProbeOrder {
  #a = 1
  #b = 0
  #length = 0
  #i = 0

  /** The next member `eligible` accepts, or undefined after one full round without one. */
  next (table: MemberTable, random: () => number, eligible: (id: MemberId) => boolean): MemberId | undefined {
    for (let tries = 0; tries <= table.size; tries++) {
      if (this.#i >= this.#length) this.#reshuffle(table.size, random)
      if (this.#length === 0) return undefined
      const index = (this.#a * this.#i + this.#b) % this.#length
      this.#i++
      const id = table.at(index)
      if (id !== undefined && eligible(id)) return id
    }
    return undefined
  }

  #reshuffle (length: number, random: () => number): void {
    this.#length = length
    this.#i = 0
    if (length <= 1) { this.#a = 1; this.#b = 0; return }
    let a = 1 + Math.floor(random() * (length - 1))
    while (gcd(a, length) !== 1) a = a + 1 >= length ? 1 : a + 1
    this.#a = a
    this.#b = Math.floor(random() * length)
  }
}

/** Up to `k` distinct random members that `eligible` accepts. */
export function pickRandom (table: MemberTable, k: number, random: () => number, eligible: (id: MemberId) => boolean): MemberId[] {
  const out: MemberId[] = []
  if (k <= 0 || table.size === 0) return out
  if (table.size <= 64) {
    const all: MemberId[] = []
    for (let i = 0; i < table.size; i++) {
      const id = table.at(i)
      if (id !== undefined && eligible(id)) all.push(id)
    }
    for (let i = 0; i < k && all.length > 0; i++) {
      const j = Math.floor(random() * all.length)
      out.push(all[j] as MemberId)
      all[j] = all[all.length - 1] as MemberId
      all.pop()
    }
    return out
  }
  const seen = new Set<MemberId>()
  for (let tries = 0; tries < 32 * k && out.length < k; tries++) {
    const id = table.at(Math.floor(random() * table.size))
    if (id === undefined || seen.has(id)) continue
    seen.add(id)
    if (eligible(id)) out.push(id)
  }
  return out
}

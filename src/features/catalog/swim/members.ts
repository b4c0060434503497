/**
 * The member table of one state machine. It can start from a shared, read-only snapshot
 * (the simulator gives 10,000 machines one starting table) and stores only its own changes
 * on top, so N machines cost N snapshots' worth of changes rather than N² entries. Members
 * are also numbered in arrival order, which is what probe order and random choice index.
 */
import { memberStates } from './types.js'
import type { MemberId, MemberRecord, MemberState } from './types.js'

/** A read-only starting table shared by many {@link MemberTable}s. */
export class MemberSnapshot {
  readonly ids: readonly MemberId[]
  readonly #index: Map<MemberId, number>
  readonly #inc: Uint32Array
  readonly #state: Uint8Array

  constructor (entries: ReadonlyArray<{ id: MemberId, incarnation: number, state: MemberState }>) {
    this.ids = entries.map((e) => e.id)
    this.#index = new Map(this.ids.map((id, i) => [id, i]))
    this.#inc = Uint32Array.from(entries.map((e) => e.incarnation))
    this.#state = Uint8Array.from(entries.map((e) => memberStates.indexOf(e.state)))
  }

  /** The snapshot's entry for `id`, if it has one. */
  get (id: MemberId): MemberRecord | undefined {
    const i = this.#index.get(id)
    if (i === undefined) return undefined
    return { incarnation: this.#inc[i] ?? 0, state: memberStates[this.#state[i] ?? 0] ?? 'alive', since: 0 }
  }
}

const empty = new MemberSnapshot([])

/** Members as one machine sees them: a snapshot plus this machine's changes. */
export class MemberTable {
  readonly #base: MemberSnapshot
  readonly #changes = new Map<MemberId, MemberRecord>()
  readonly #extra: MemberId[] = []
  readonly #counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }

  constructor (base: MemberSnapshot = empty) {
    this.#base = base
    for (const id of base.ids) {
      const r = base.get(id)
      if (r !== undefined) this.#counts[r.state]++
    }
  }

  /** Members ever seen (every state). */
  get size (): number {
    return this.#base.ids.length + this.#extra.length
  }

  /** The member numbered `i` (0 ≤ i < size). */
  at (i: number): MemberId | undefined {
    const n = this.#base.ids.length
    return i < n ? this.#base.ids[i] : this.#extra[i - n]
  }

  get (id: MemberId): MemberRecord | undefined {
    return this.#changes.get(id) ?? this.#base.get(id)
  }

  /** Adds or replaces an entry. */
  set (id: MemberId, record: MemberRecord): void {
    const old = this.get(id)
    if (old === undefined) this.#extra.push(id)
    else this.#counts[old.state]--
    this.#counts[record.state]++
    this.#changes.set(id, record)
  }

  /** Members in `state`. */
  count (state: MemberState): number {
    return this.#counts[state]
  }

  /** Every member with its entry, in numbering order. */
  * entries (): Generator<[MemberId, MemberRecord]> {
    for (let i = 0; i < this.size; i++) {
      const id = this.at(i)
      const r = id === undefined ? undefined : this.get(id)
      if (id !== undefined && r !== undefined) yield [id, r]
    }
  }
}

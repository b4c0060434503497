/**
 * A deterministic simulator for the SWIM state machine: N machines in one process, virtual
 * time, seeded randomness, per-packet loss and latency, optional partitions. Machines wake
 * only at their next deadline or when a packet arrives (one event queue), and all start from
 * one shared member snapshot, so 10,000 members fit in memory and run in seconds per
 * virtual second. Bytes are counted with the wire codec's exact sizes.
 */
import { sizeOf } from './codec.js'
import { MemberSnapshot } from './members.js'
import { Swim } from './state.js'
import type { MemberId, Output, SwimParams, Message } from './types.js'

/** A small fast seeded PRNG (mulberry32): uniform in [0, 1). */
export function seededRandom (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Options of {@link Simulator}. */
export interface SimOptions {
  members: number
  seed: number
  params?: Partial<SwimParams>
  /** Probability that a packet is lost (0 to 1). */
  loss?: number
  /** One-way latency, uniform in [min, max] ms. */
  latencyMs?: { min: number, max: number }
}

interface Event { time: number, order: number, member: number, from: number, msgs: Message[] | undefined }

/** A binary min-heap of events by (time, order). */
class EventQueue {
  readonly #h: Event[] = []
  get size (): number { return this.#h.length }
  push (e: Event): void {
    const h = this.#h
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i] as Event, h[p] as Event)) break
      ;[h[i], h[p]] = [h[p] as Event, h[i] as Event]
      i = p
    }
  }

  peek (): Event | undefined { return this.#h[0] }
  pop (): Event | undefined {
    const h = this.#h
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l] as Event, h[m] as Event)) m = l
        if (r < h.length && before(h[r] as Event, h[m] as Event)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m] as Event, h[i] as Event]
        i = m
      }
    }
    return top
  }
}

function before (a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order)
}

/** Observer of state changes: `observer` now sees `id` as `state`. */
export type ChangeListener = (observer: number, change: Extract<Output, { kind: 'change' }>, now: number) => void

/** The simulated cluster. */
export class Simulator {
  now = 0
  readonly ids: MemberId[] = []
  readonly machines: Array<Swim | undefined> = []
  /** Bytes each member sent so far. */
  bytesSent: number[] = []
  /** Of which in full-state syncs (memberlist sends those over TCP, Serf's figures leave them out). */
  syncBytesSent: number[] = []
  packetsSent = 0
  packetsLost = 0
  /** Cuts the link between two members while it returns true. */
  partitioned: (a: number, b: number) => boolean = () => false
  onChange: ChangeListener = () => {}
  readonly #o: SimOptions
  readonly #random: () => number
  readonly #queue = new EventQueue()
  readonly #index = new Map<MemberId, number>()
  readonly #scheduled: number[] = []
  #order = 0

  constructor (options: SimOptions) {
    this.#o = options
    this.#random = seededRandom(options.seed)
    for (let i = 0; i < options.members; i++) this.#addId()
    const snapshot = new MemberSnapshot(this.ids.map((id) => ({ id, incarnation: 0, state: 'alive' as const })))
    for (let i = 0; i < options.members; i++) this.#startMachine(i, snapshot)
  }

  /** Index of member `id`. */
  indexOf (id: MemberId): number | undefined {
    return this.#index.get(id)
  }

  /** Adds a member that joins through `seeds`; returns its index. */
  join (seeds: number[]): number {
    const i = this.#addId()
    const m = this.#startMachine(i)
    m.join(seeds.map((s) => this.ids[s] as MemberId), this.now)
    this.#after(i, m)
    return i
  }

  /** Crashes member `i`: it stops at once and every packet to it is lost. */
  kill (i: number): void {
    this.machines[i] = undefined
  }

  /** Member `i` announces its leave, keeps sending until its updates are out, then stops. */
  leave (i: number): void {
    const m = this.machines[i]
    if (m === undefined) return
    m.leave(this.now)
    this.#after(i, m)
  }

  /** Runs events until virtual time `t`. */
  runUntil (t: number): void {
    for (;;) {
      const e = this.#queue.peek()
      if (e === undefined || e.time > t) break
      this.#queue.pop()
      this.now = e.time
      this.#handle(e)
    }
    this.now = t
  }

  /** Runs until `done()` (checked after every event) or time `limit`; returns whether done. */
  runWhile (done: () => boolean, limit: number): boolean {
    for (;;) {
      if (done()) return true
      const e = this.#queue.peek()
      if (e === undefined || e.time > limit) { this.now = limit; return done() }
      this.#queue.pop()
      this.now = e.time
      this.#handle(e)
    }
  }

  #addId (): number {
    const i = this.ids.length
    const id = `m${i}`
    this.ids.push(id)
    this.#index.set(id, i)
    this.bytesSent.push(0)
    this.syncBytesSent.push(0)
    this.#scheduled.push(Infinity)
    return i
  }

  #startMachine (i: number, snapshot?: MemberSnapshot): Swim {
    const seed = Math.floor(this.#random() * 2 ** 32)
    const m = new Swim({ self: this.ids[i] as MemberId, params: this.#o.params, random: seededRandom(seed), now: this.now, snapshot })
    this.machines[i] = m
    this.#schedule(i, m)
    return m
  }

  #handle (e: Event): void {
    const m = this.machines[e.member]
    if (m === undefined) return
    if (e.msgs === undefined) {
      if (this.#scheduled[e.member] !== e.time) return
      this.#scheduled[e.member] = Infinity
      m.tick(this.now)
    } else {
      m.receive(this.ids[e.from] as MemberId, e.msgs, this.now)
    }
    this.#after(e.member, m)
  }

  /** Delivers a machine's outputs and schedules its next wake-up. */
  #after (i: number, m: Swim): void {
    for (const out of m.take()) {
      if (out.kind === 'change') { this.onChange(i, out, this.now); continue }
      const to = this.#index.get(out.to)
      const size = sizeOf(out.packet)
      this.bytesSent[i] = (this.bytesSent[i] ?? 0) + size
      if (out.packet.msgs[0]?.t === 'sync') this.syncBytesSent[i] = (this.syncBytesSent[i] ?? 0) + size
      this.packetsSent++
      if (to === undefined || this.partitioned(i, to) || this.#random() < (this.#o.loss ?? 0)) { this.packetsLost++; continue }
      const lat = this.#o.latencyMs ?? { min: 1, max: 5 }
      const time = this.now + lat.min + this.#random() * (lat.max - lat.min)
      this.#queue.push({ time, order: this.#order++, member: to, from: i, msgs: out.packet.msgs })
    }
    // A leaving member stops once its leave went out (as the daemon's binding does).
    if (m.leaving && m.pendingBroadcasts === 0) { this.machines[i] = undefined; return }
    this.#schedule(i, m)
  }

  #schedule (i: number, m: Swim): void {
    const t = Math.max(this.now, m.nextDeadline())
    if (t < (this.#scheduled[i] ?? Infinity) || (this.#scheduled[i] ?? 0) < this.now) {
      this.#scheduled[i] = t
      this.#queue.push({ time: t, order: this.#order++, member: i, from: i, msgs: undefined })
    }
  }
}

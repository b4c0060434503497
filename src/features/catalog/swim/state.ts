/**
 * SWIM membership with Lifeguard, as a pure state machine (no I/O, no clocks, no timers):
 * the driver feeds it packets (`receive`) and the time (`tick`), and takes back packets to
 * send and member state changes (`take`). `nextDeadline` says when it next needs a tick, so
 * a simulator can run thousands of machines in virtual time and the daemon can bind one to
 * the mesh with a single timer. Randomness comes from the driver, so runs replay exactly.
 *
 * What it does, after memberlist and the Lifeguard paper: round-robin probes with ack
 * timeout, indirect probes through k members with nacks; suspicion with confirmations
 * (suspicion.ts); local health awareness (timeouts stretch when our own probes and
 * refutations suggest we are the slow one); incarnation numbers, refutation; leave intents;
 * updates piggy-backed on pings and acks and gossiped to a few members every interval;
 * periodic full push-pull with a random member and with a random dead member (heals
 * partitions). A joiner does not re-broadcast the state it pulled.
 */
import { defaultSwimParams, expectedConfirmations, pushPullInterval, retransmitLimit, suspicionTimeouts } from './params.js'
import { BroadcastQueue } from './broadcasts.js'
import { maxMessagesPerPacket, packetHeaderSize, sizeOf } from './codec.js'
import { MemberTable } from './members.js'
import type { MemberSnapshot } from './members.js'
import { ProbeOrder, pickRandom } from './select.js'
import { Suspicions } from './suspicion.js'
import type { MemberId, MemberRecord, MemberState, Message, Output, SwimParams, SyncEntry, Update } from './types.js'
import { applyUpdate } from './apply.js'

/** Accusers remembered for rate-limiting direct answers (cleared when full). */
const maxAnswered = 4096

/** Options of {@link Swim}. */
export interface SwimOptions {
  self: MemberId
  params?: Partial<SwimParams>
  /** Uniform in [0, 1); seeded in simulations. */
  random: () => number
  /** Current time (ms, any origin, never going back). */
  now: number
  /** Shared starting table (simulator); self must be in it or is added. */
  snapshot?: MemberSnapshot
  /** Starting incarnation of this member. */
  incarnation?: number
}

/** Counters a machine keeps. */
export interface SwimStats {
  probes: number
  probeFailures: number
  suspicionsRaised: number
  deadDeclared: number
  refutations: number
  misdirected: number
}

interface Probe { target: MemberId, seq: number, ackDeadline: number, endAt: number, indirect: boolean, expectedNacks: number, nacks: number, acked: boolean }
interface Relay { origin: MemberId, originSeq: number, deadline: number }

/** One member's SWIM state machine. */
export class Swim {
  readonly self: MemberId
  readonly params: SwimParams
  readonly stats: SwimStats = { probes: 0, probeFailures: 0, suspicionsRaised: 0, deadDeclared: 0, refutations: 0, misdirected: 0 }
  /** @internal state shared with apply.ts */
  readonly table: MemberTable
  readonly broadcasts = new BroadcastQueue()
  readonly suspicions = new Suspicions()
  readonly dead = new Set<MemberId>()
  readonly #random: () => number
  readonly #order = new ProbeOrder()
  readonly #relays = new Map<number, Relay>()
  /** When each accuser was last answered directly (see answerAccuser). */
  readonly #answered = new Map<MemberId, number>()
  #out: Output[] = []
  #inc: number
  #seq = 0
  #awareness = 0
  #leaving = false
  #probe?: Probe
  #nextProbeAt: number
  #nextGossipAt: number
  #nextSyncAt: number
  #nextReconnectAt: number

  constructor (options: SwimOptions) {
    this.self = options.self
    this.params = { ...defaultSwimParams, ...options.params }
    this.#random = options.random
    this.table = new MemberTable(options.snapshot)
    this.#inc = Math.max(options.incarnation ?? 0, this.table.get(this.self)?.incarnation ?? 0)
    this.table.set(this.self, { incarnation: this.#inc, state: 'alive', since: options.now })
    for (const [id, r] of this.table.entries()) if (r.state === 'dead') this.dead.add(id)
    const p = this.params
    // Staggered starts, so members started together do not probe and gossip in lockstep.
    this.#nextProbeAt = options.now + this.#random() * p.probeIntervalMs
    this.#nextGossipAt = options.now + this.#random() * p.gossipIntervalMs
    this.#nextSyncAt = options.now + this.#random() * pushPullInterval(p, this.table.size)
    this.#nextReconnectAt = options.now + this.#random() * p.reconnectIntervalMs
  }

  /** This member's incarnation. */
  get incarnation (): number {
    return this.#inc
  }

  /** Lifeguard's local health score (0 = healthy). */
  get awareness (): number {
    return this.#awareness
  }

  /** True once `leave` was called. */
  get leaving (): boolean {
    return this.#leaving
  }

  /** Members not dead or left: the N of the timeout formulas. */
  get liveCount (): number {
    return this.table.count('alive') + this.table.count('suspect')
  }

  /** What this machine knows of `id`. */
  member (id: MemberId): MemberRecord | undefined {
    return this.table.get(id)
  }

  /** Every member it knows, itself included. */
  members (): Array<{ id: MemberId } & MemberRecord> {
    return [...this.table.entries()].map(([id, r]) => ({ id, ...r }))
  }

  /** Takes the packets to send and the changes to report, oldest first. */
  take (): Output[] {
    const out = this.#out
    this.#out = []
    return out
  }

  /** Updates still waiting to be sent (a leaving member waits for them). */
  get pendingBroadcasts (): number {
    return this.broadcasts.length
  }

  /** Contacts `seeds` with a join push-pull and announces this member. */
  join (seeds: MemberId[], now: number): void {
    this.broadcasts.push({ t: 'alive', id: this.self, inc: this.#inc })
    for (const seed of seeds) if (seed !== this.self) this.#sendSync(seed, true, false)
    void now
  }

  /** Announces that this member leaves (others will mark it `left`); keep ticking to send it. */
  leave (now: number): void {
    if (this.#leaving) return
    this.#leaving = true
    this.#inc++
    this.table.set(this.self, { incarnation: this.#inc, state: 'left', since: now })
    this.broadcasts.push({ t: 'left', id: this.self, inc: this.#inc })
    this.#probe = undefined
    this.#gossip(now)
  }

  /** When the machine next needs `tick`. */
  nextDeadline (): number {
    let t = Math.min(this.#nextGossipAt, this.suspicions.next())
    if (!this.#leaving) t = Math.min(t, this.#nextSyncAt, this.#nextReconnectAt)
    const probe = this.#probe
    if (probe !== undefined) t = Math.min(t, probe.indirect || probe.acked ? probe.endAt : probe.ackDeadline)
    else if (!this.#leaving) t = Math.min(t, this.#nextProbeAt)
    for (const r of this.#relays.values()) t = Math.min(t, r.deadline)
    return t
  }

  /** Runs every timer due at `now`. */
  tick (now: number): void {
    const p = this.params
    const probe = this.#probe
    if (probe !== undefined && !probe.acked && !probe.indirect && now >= probe.ackDeadline) this.#indirect(probe)
    if (probe !== undefined && now >= probe.endAt) this.#endProbe(probe, now)
    if (!this.#leaving && now >= this.#nextProbeAt && this.#probe === undefined) {
      const started = this.#startProbe(now)
      this.#nextProbeAt = Math.max(now + p.probeIntervalMs, started?.endAt ?? 0)
    }
    if (now >= this.#nextGossipAt) {
      this.#gossip(now)
      this.#nextGossipAt = Math.max(this.#nextGossipAt + p.gossipIntervalMs, now)
    }
    if (!this.#leaving && now >= this.#nextSyncAt) {
      const [peer] = pickRandom(this.table, 1, this.#random, (id) => id !== this.self && this.table.get(id)?.state === 'alive')
      if (peer !== undefined) this.#sendSync(peer, false, false)
      this.#nextSyncAt = now + pushPullInterval(p, this.table.size)
    }
    if (!this.#leaving && now >= this.#nextReconnectAt) {
      // Serf's rule: try with probability dead/live, so the whole cluster makes about one
      // attempt per dead member per interval rather than every member one each.
      const dead = [...this.dead]
      const peer = dead[Math.floor(this.#random() * dead.length)]
      if (peer !== undefined && this.#random() < dead.length / Math.max(1, this.liveCount)) this.#sendSync(peer, false, false)
      this.#nextReconnectAt = now + p.reconnectIntervalMs
    }
    for (const { id, inc } of this.suspicions.due(now)) {
      const r = this.table.get(id)
      if (r?.state !== 'suspect' || r.incarnation !== inc) continue
      this.stats.deadDeclared++
      this.applyLocal({ t: 'dead', id, inc, from: this.self }, now)
    }
    for (const [seq, relay] of this.#relays) {
      if (now < relay.deadline) continue
      this.#relays.delete(seq)
      this.send(relay.origin, [{ t: 'nack', seq: relay.originSeq }])
    }
  }

  /** Handles one packet from `from` (already authenticated as a member by the driver). */
  receive (from: MemberId, msgs: Message[], now: number): void {
    for (const m of msgs) {
      switch (m.t) {
        case 'ping':
          if (m.target !== this.self) { this.stats.misdirected++; break }
          this.send(from, [{ t: 'ack', seq: m.seq }])
          break
        case 'ack': {
          if (this.#probe?.seq === m.seq) { this.#probe.acked = true; break }
          const relay = this.#relays.get(m.seq)
          if (relay !== undefined) {
            this.#relays.delete(m.seq)
            this.send(relay.origin, [{ t: 'ack', seq: relay.originSeq }])
          }
          break
        }
        case 'nack':
          if (this.#probe?.seq === m.seq) this.#probe.nacks++
          break
        case 'ping-req': {
          if (m.target === this.self || this.#leaving) break
          const seq = ++this.#seq
          this.#relays.set(seq, { origin: from, originSeq: m.seq, deadline: now + Math.floor(this.params.probeTimeoutMs * 0.8) })
          this.send(m.target, [{ t: 'ping', seq, target: m.target }])
          break
        }
        case 'sync':
          this.#merge(from, m.members, now, !(m.join && m.reply))
          if (!m.reply) this.#sendSync(from, m.join, true)
          break
        default:
          applyUpdate(this, m, now, true)
      }
    }
  }

  // ---- used by apply.ts ------------------------------------------------------------------

  /** Applies an update this machine decided on itself, and spreads it. */
  applyLocal (update: Update, now: number): void {
    applyUpdate(this, update, now, true)
  }

  /** Records a state change and reports it. */
  setMember (id: MemberId, record: MemberRecord): void {
    const previous = this.table.get(id)?.state
    this.table.set(id, record)
    if (record.state === 'dead') this.dead.add(id)
    else this.dead.delete(id)
    if (previous !== record.state) this.#out.push({ kind: 'change', id, state: record.state, incarnation: record.incarnation, previous })
  }

  /** Answers a suspicion, death or leave claimed about us: a higher incarnation, alive. */
  refute (inc: number, now: number): void {
    if (this.#leaving) return
    this.#inc = Math.max(this.#inc, inc) + 1
    this.table.set(this.self, { incarnation: this.#inc, state: 'alive', since: now })
    this.broadcasts.push({ t: 'alive', id: this.self, inc: this.#inc })
    this.stats.refutations++
    this.#health(1)
  }

  /** Queues our current alive again (answers a stale accusation) unless it is still queued. */
  reannounce (): void {
    if (this.#leaving || this.broadcasts.peek(this.self) !== undefined) return
    this.broadcasts.push({ t: 'alive', id: this.self, inc: this.#inc })
  }

  /**
   * Sends our current alive straight to `accuser`, who suspects us or declared us dead, at
   * most once per probe interval per accuser (an accusation reaches us many times as it
   * spreads). Only to members we know to be up: a forged `from` gets nothing sent its way.
   */
  answerAccuser (accuser: MemberId, now: number): void {
    if (this.#leaving || accuser === this.self) return
    const s = this.table.get(accuser)?.state
    if (s !== 'alive' && s !== 'suspect') return
    const last = this.#answered.get(accuser)
    if (last !== undefined && now - last < this.params.probeIntervalMs) return
    if (this.#answered.size >= maxAnswered) this.#answered.clear()
    this.#answered.set(accuser, now)
    this.send(accuser, [{ t: 'alive', id: this.self, inc: this.#inc }])
  }

  /** Suspicion bounds for the current cluster size. */
  suspicionBounds (): { min: number, max: number, k: number } {
    const n = this.liveCount
    return { ...suspicionTimeouts(this.params, n), k: expectedConfirmations(this.params, n) }
  }

  /** Sends `msgs` to `to`, filling the rest of the packet with queued updates. */
  send (to: MemberId, msgs: Message[]): void {
    const used = sizeOf({ msgs })
    const updates = this.broadcasts.take(this.params.maxPacketBytes - used, retransmitLimit(this.params, this.liveCount), maxMessagesPerPacket - msgs.length)
    this.#out.push({ kind: 'send', to, packet: { msgs: [...msgs, ...updates] } })
  }

  // ---- internals -------------------------------------------------------------------------

  #health (delta: number): void {
    this.#awareness = Math.min(this.params.awarenessMaxMultiplier - 1, Math.max(0, this.#awareness + delta))
  }

  #scaled (ms: number): number {
    return ms * (this.#awareness + 1)
  }

  #startProbe (now: number): Probe | undefined {
    const eligible = (id: MemberId): boolean => {
      if (id === this.self) return false
      const s = this.table.get(id)?.state
      return s === 'alive' || s === 'suspect'
    }
    // A member we suspect is probed first, with the suspicion attached (Lifeguard's buddy
    // system): it learns it is suspected and its refutation rides back on the ack.
    let target = this.suspicions.takeUnprobed()
    if (target !== undefined && !eligible(target)) target = undefined
    target ??= this.#order.next(this.table, this.#random, eligible)
    if (target === undefined) return undefined
    const seq = ++this.#seq
    this.stats.probes++
    const probe: Probe = { target, seq, ackDeadline: now + this.#scaled(this.params.probeTimeoutMs), endAt: now + this.#scaled(this.params.probeIntervalMs), indirect: false, expectedNacks: 0, nacks: 0, acked: false }
    this.#probe = probe
    const r = this.table.get(target)
    this.send(target, r?.state === 'suspect' ? [{ t: 'ping', seq, target }, { t: 'suspect', id: target, inc: r.incarnation, from: this.self }] : [{ t: 'ping', seq, target }])
    return probe
  }

  #indirect (probe: Probe): void {
    probe.indirect = true
    const helpers = pickRandom(this.table, this.params.indirectChecks, this.#random, (id) => id !== this.self && id !== probe.target && this.table.get(id)?.state === 'alive')
    probe.expectedNacks = helpers.length
    for (const h of helpers) this.send(h, [{ t: 'ping-req', seq: probe.seq, target: probe.target }])
  }

  #endProbe (probe: Probe, now: number): void {
    this.#probe = undefined
    if (probe.acked && !probe.indirect) { this.#health(-1); return }
    // Lifeguard: missing nacks mean our own links may be the problem, so slow down.
    this.#health(probe.expectedNacks > 0 ? probe.expectedNacks - probe.nacks : 1)
    if (probe.acked) return
    this.stats.probeFailures++
    const r = this.table.get(probe.target)
    if (r === undefined || (r.state !== 'alive' && r.state !== 'suspect')) return
    if (r.state === 'alive') this.stats.suspicionsRaised++
    this.applyLocal({ t: 'suspect', id: probe.target, inc: r.incarnation, from: this.self }, now)
  }

  #gossip (now: number): void {
    if (this.broadcasts.length === 0) return
    const deadSince = now - this.params.gossipToTheDeadMs
    const targets = pickRandom(this.table, this.params.gossipFanout, this.#random, (id) => {
      if (id === this.self) return false
      const r = this.table.get(id)
      return r !== undefined && (r.state === 'alive' || r.state === 'suspect' || (r.state === 'dead' && r.since > deadSince))
    })
    for (const to of targets) {
      if (this.broadcasts.length === 0) break
      this.send(to, [])
    }
  }

  #sendSync (to: MemberId, join: boolean, reply: boolean): void {
    const members: SyncEntry[] = []
    for (const [id, r] of this.table.entries()) members.push({ id, inc: r.incarnation, state: r.state })
    this.#out.push({ kind: 'send', to, packet: { msgs: [{ t: 'sync', join, reply, members }] } })
  }

  /**
   * Merges a full state (memberlist's rules: a remote dead is only a suspicion here). A member
   * we never met that the sender has as dead or left is recorded so, without spreading it: a
   * member that restarted while another was down still lists it, in the state the others
   * see, instead of not at all (it refutes with a higher incarnation if it is back).
   */
  #merge (from: MemberId, entries: SyncEntry[], now: number, spread: boolean): void {
    for (const e of entries) {
      const state: MemberState = e.state
      if ((state === 'dead' || state === 'left') && e.id !== this.self && this.table.get(e.id) === undefined) {
        this.setMember(e.id, { incarnation: e.inc, state, since: now })
        continue
      }
      const update: Update = state === 'alive'
        ? { t: 'alive', id: e.id, inc: e.inc }
        : state === 'left' ? { t: 'left', id: e.id, inc: e.inc } : { t: 'suspect', id: e.id, inc: e.inc, from }
      applyUpdate(this, update, now, spread)
    }
  }
}

/** Bytes a packet header takes (re-exported for drivers that frame packets). */
export const swimPacketHeaderSize = packetHeaderSize

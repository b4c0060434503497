/**
 * The scenarios of `npm run bench:gossip`, run on the SWIM simulator: how long until 99.9%
 * of members know of a join, a failure and a leave, bandwidth per member while an update
 * spreads, and false positives under packet loss. Kept apart from bench/gossip.ts (the
 * report) so tests can run small versions.
 */
import { Simulator } from '../src/features/catalog/swim/sim.js'
import type { MemberState } from '../src/features/catalog/swim/types.js'

/** Settings shared by the scenarios (Serf's simulator: 200 ms gossip, fanout 3). */
export interface ScenarioOptions {
  members: number
  seed: number
  loss?: number
  /** Share of members that must know (default 0.999). */
  quorum?: number
}

/** Result of one dissemination scenario (times in ms of virtual time). */
export interface Spread {
  /** From the event (join call, kill, leave call) to the first member holding the new state. */
  toFirstMs: number
  /** From the first member holding it to `quorum` of the members. */
  firstToQuorumMs: number
  /** From the event to `quorum` of the members. */
  totalMs: number
  /** Highest and mean send rate of a member over the spreading window, gossip and probes only (kbit/s). */
  maxKbps: number
  meanKbps: number
  /** Highest send rate of a member counting full-state syncs too (kbit/s). */
  maxWithSyncKbps: number
  reached: boolean
}

const gossipParams = { gossipIntervalMs: 200, gossipFanout: 3 }

/** Runs `event` on a fresh cluster and times the spread of `state` about the subject. */
function spread (o: ScenarioOptions, state: MemberState, event: (sim: Simulator) => number, others: number): Spread {
  const sim = new Simulator({ members: o.members, seed: o.seed, params: gossipParams, loss: o.loss })
  sim.runUntil(5000) // settle: staggered timers, first probes
  // The subject is not counted: a crashed member never learns it died, a joiner knows itself.
  const quorum = Math.ceil((o.quorum ?? 0.999) * others)
  let subject = -1
  const knows = new Uint8Array(o.members + 16)
  let count = 0
  let first = -1
  sim.onChange = (observer, change) => {
    if (sim.indexOf(change.id) !== subject || change.state !== state || knows[observer] === 1) return
    knows[observer] = 1
    count++
    if (first < 0) first = sim.now
  }
  const start = sim.now
  subject = event(sim)
  const limit = start + 600_000
  // The spreading window starts at the first holder; bytes before it are background traffic.
  sim.runWhile(() => first >= 0, limit)
  const firstAt = first < 0 ? limit : first
  const atFirst = [...sim.bytesSent]
  const syncAtFirst = [...sim.syncBytesSent]
  const reached = sim.runWhile(() => count >= quorum, limit)
  const end = sim.now
  const seconds = Math.max(0.001, (end - firstAt) / 1000)
  let max = 0
  let maxAll = 0
  let sum = 0
  for (let i = 0; i < o.members; i++) {
    const all = (sim.bytesSent[i] ?? 0) - (atFirst[i] ?? 0)
    const b = all - ((sim.syncBytesSent[i] ?? 0) - (syncAtFirst[i] ?? 0))
    sum += b
    if (b > max) max = b
    if (all > maxAll) maxAll = all
  }
  const kbps = (bytes: number): number => bytes * 8 / 1000 / seconds
  return { toFirstMs: firstAt - start, firstToQuorumMs: end - firstAt, totalMs: end - start, maxKbps: kbps(max), meanKbps: kbps(sum / o.members), maxWithSyncKbps: kbps(maxAll), reached }
}

/** A new member joins through one seed. */
export function joinSpread (o: ScenarioOptions): Spread {
  return spread(o, 'alive', (sim) => sim.join([0]), o.members)
}

/** A member crashes. */
export function failureSpread (o: ScenarioOptions): Spread {
  return spread(o, 'dead', (sim) => { sim.kill(1); return 1 }, o.members - 1)
}

/** A member leaves with an intent. */
export function leaveSpread (o: ScenarioOptions): Spread {
  return spread(o, 'left', (sim) => { sim.leave(1); return 1 }, o.members - 1)
}

/** False positives: live members declared dead, over `durationMs` of virtual time. */
export interface FalsePositives {
  durationMs: number
  declaredDead: number
  suspicions: number
  refutations: number
  perHour: number
}

/** Runs a cluster where nobody fails under packet loss and counts wrong death declarations. */
export function falsePositives (o: ScenarioOptions & { durationMs: number }): FalsePositives {
  const sim = new Simulator({ members: o.members, seed: o.seed, params: gossipParams, loss: o.loss })
  let declaredDead = 0
  sim.onChange = (_observer, change) => { if (change.state === 'dead') declaredDead++ }
  sim.runUntil(o.durationMs)
  let suspicions = 0
  let refutations = 0
  let firstHand = 0
  for (const m of sim.machines) {
    suspicions += m?.stats.suspicionsRaised ?? 0
    refutations += m?.stats.refutations ?? 0
    firstHand += m?.stats.deadDeclared ?? 0
  }
  void declaredDead
  return { durationMs: o.durationMs, declaredDead: firstHand, suspicions, refutations, perHour: firstHand * 3_600_000 / o.durationMs }
}

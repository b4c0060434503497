/**
 * Default SWIM parameters and the quantities derived from them (retransmit limit, suspicion
 * timeouts, the bound on failure detection). Defaults are memberlist's LAN profile, the one
 * behind Serf's and Consul's published figures, so weft's measurements compare directly.
 */
import type { SwimParams } from './types.js'

/**
 * Defaults, with why:
 * - probe every 1 s, 500 ms ack timeout, 3 indirect checks: memberlist LAN; a LAN or a
 *   direct internet path answers well inside 500 ms, and 3 helpers make one lossy link
 *   unlikely to cause a suspicion;
 * - gossip every 200 ms to 3 members: memberlist LAN, and the setting of Serf's convergence
 *   simulator (1.84 s to 99.9% of 1,000 members);
 * - retransmit 4 × ceil(log10(N + 1)): enough that an update reaches everyone with very high
 *   probability (memberlist);
 * - suspicion 4 × max(1, log10 N) × 1 s, starting at 6 times that and shrinking with
 *   independent confirmations (Lifeguard): slow links get time to refute, agreed failures
 *   are declared fast;
 * - full sync every 30 s (memberlist), reconnect to a dead member every 30 s (Serf), so
 *   split views heal;
 * - local health multiplier up to 8 (Lifeguard), 1,400-byte packets (fits a 1,500 MTU).
 */
export const defaultSwimParams: SwimParams = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  gossipIntervalMs: 200,
  gossipFanout: 3,
  gossipToTheDeadMs: 30_000,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  reconnectIntervalMs: 30_000,
  awarenessMaxMultiplier: 8,
  maxPacketBytes: 1400
})

/** How many times an update is sent before it is dropped from the queue. */
export function retransmitLimit (params: SwimParams, n: number): number {
  return params.retransmitMult * Math.ceil(Math.log10(n + 1))
}

/** Lowest and highest suspicion timeout (ms) for a cluster of `n` members. */
export function suspicionTimeouts (params: SwimParams, n: number): { min: number, max: number } {
  const min = params.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * params.probeIntervalMs
  return { min, max: min * params.suspicionMaxTimeoutMult }
}

/** Confirmations that bring a suspicion down to its lowest timeout (Lifeguard's k). */
export function expectedConfirmations (params: SwimParams, n: number): number {
  const k = params.suspicionMult - 2
  return n - 2 < k ? 0 : k
}

/**
 * Lifeguard's suspicion timeout after `confirmations` independent suspicions:
 * max - (max - min) × log(c + 1) / log(k + 1), never below min.
 */
export function suspicionTimeout (min: number, max: number, k: number, confirmations: number): number {
  if (k < 1) return min
  const frac = Math.log(confirmations + 1) / Math.log(k + 1)
  return Math.max(min, Math.floor(max - (max - min) * frac))
}

/** Push-pull interval, stretched past 32 members as memberlist does (fewer, larger syncs each). */
export function pushPullInterval (params: SwimParams, n: number): number {
  if (n <= 32) return params.pushPullIntervalMs
  return Math.ceil(Math.log2(n) - Math.log2(32) + 1) * params.pushPullIntervalMs
}

/**
 * A bound on how long a crashed member stays undetected by a member that keeps probing it
 * (healthy, awareness 0): until it is probed (at most one full round of N probes, since
 * probing is round-robin), the probe interval, then the longest suspicion timeout.
 */
export function detectionBoundMs (params: SwimParams, n: number): number {
  return n * params.probeIntervalMs + params.probeIntervalMs + suspicionTimeouts(params, n).max
}

/** Checks parameters; returns a message naming the first bad one, or undefined. */
export function checkSwimParams (p: SwimParams): string | undefined {
  const positive: Array<keyof SwimParams> = ['probeIntervalMs', 'probeTimeoutMs', 'gossipIntervalMs', 'gossipFanout', 'retransmitMult', 'suspicionMult', 'suspicionMaxTimeoutMult', 'pushPullIntervalMs', 'reconnectIntervalMs', 'awarenessMaxMultiplier']
  for (const key of positive) if (!(Number.isFinite(p[key]) && p[key] > 0)) return `${key} must be a positive number`
  if (p.probeTimeoutMs >= p.probeIntervalMs) return 'probeTimeoutMs must be shorter than probeIntervalMs'
  if (!Number.isInteger(p.indirectChecks) || p.indirectChecks < 0) return 'indirectChecks must be a whole number'
  if (p.suspicionMaxTimeoutMult < 1) return 'suspicionMaxTimeoutMult must be at least 1'
  if (!(p.maxPacketBytes >= 512 && p.maxPacketBytes <= 65_000)) return 'maxPacketBytes must be 512 to 65000'
  return undefined
}

/**
 * Types of the SWIM + Lifeguard membership protocol: member states, the messages members
 * exchange (as domain values; codec.ts puts them on the wire), and what the state machine
 * hands back to whoever drives it (packets to send, state changes to report).
 */

/** A member's identity inside the state machine (a device ID in the daemon, any string in the simulator). */
export type MemberId = string

/** What a member thinks of another. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

/** All member states, in their wire order. */
export const memberStates: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left']

/** A member's entry as the state machine holds it. */
export interface MemberRecord {
  incarnation: number
  state: MemberState
  /** When this device last changed the entry's state (virtual or wall ms). */
  since: number
}

/** A membership update, piggy-backed on other messages and spread by gossip. */
export type Update =
  | { t: 'alive', id: MemberId, inc: number }
  | { t: 'suspect', id: MemberId, inc: number, from: MemberId }
  | { t: 'dead', id: MemberId, inc: number, from: MemberId }
  | { t: 'left', id: MemberId, inc: number }

/** One member's entry in a full-state exchange. */
export interface SyncEntry {
  id: MemberId
  inc: number
  state: MemberState
}

/** Every message of the protocol. The sender of a packet is given by the transport. */
export type Message =
  | Update
  /** Direct probe; `target` is who the sender meant (a packet for someone else is ignored). */
  | { t: 'ping', seq: number, target: MemberId }
  | { t: 'ack', seq: number }
  /** Asks the receiver to probe `target` and forward the ack (Lifeguard: or a nack). */
  | { t: 'ping-req', seq: number, target: MemberId }
  | { t: 'nack', seq: number }
  /** Full state push-pull; `reply` marks the answer, `join` a joiner's first exchange. */
  | { t: 'sync', join: boolean, reply: boolean, members: SyncEntry[] }

/** What goes in one datagram. */
export interface Packet {
  msgs: Message[]
}

/** Something the driver must do or may want to know, produced by the state machine. */
export type Output =
  | { kind: 'send', to: MemberId, packet: Packet }
  | { kind: 'change', id: MemberId, state: MemberState, incarnation: number, previous: MemberState | undefined }

/**
 * Protocol parameters. The defaults (params.ts) are memberlist's LAN profile, which Serf's
 * and Consul's published figures were measured with.
 */
export interface SwimParams {
  /** Time between probes of the next member (ms). */
  probeIntervalMs: number
  /** How long a direct probe waits for its ack before asking others (ms). */
  probeTimeoutMs: number
  /** Members asked to probe indirectly when a direct probe fails. */
  indirectChecks: number
  /** Time between gossip rounds (ms). */
  gossipIntervalMs: number
  /** Members each gossip round sends to. */
  gossipFanout: number
  /** How long dead members still receive gossip, so they learn of their death and refute (ms). */
  gossipToTheDeadMs: number
  /** Retransmits of an update: retransmitMult × ceil(log10(N + 1)). */
  retransmitMult: number
  /** Suspicion timeout, lowest: suspicionMult × max(1, log10(N)) × probe interval. */
  suspicionMult: number
  /** Suspicion timeout, highest (with no confirmations): this × the lowest. */
  suspicionMaxTimeoutMult: number
  /** Time between full state exchanges with a random member (ms; scaled up past 32 members). */
  pushPullIntervalMs: number
  /** Time between attempts to reach a random dead member again (ms; heals partitions). */
  reconnectIntervalMs: number
  /** Lifeguard local health: probe timeouts stretch up to this many times when we seem unhealthy. */
  awarenessMaxMultiplier: number
  /** Largest datagram the gossip layer builds (bytes). */
  maxPacketBytes: number
}

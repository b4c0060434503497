/**
 * The thin outer layer of the SWIM state machine for one network: wall-clock time, one
 * timer at the machine's next deadline, packets encoded with 8-byte short IDs (the first 8
 * bytes of each member's public key) and carried by the gossip transport. Only members of
 * the network can be named on the wire: a message about anyone else is dropped and
 * counted, as are packets that do not decode. Stopping announces a leave first.
 */
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { toWeftError } from '../../core/errors.js'
import { parseDeviceId } from '../../identity/device-id.js'
import { decodePacket, encodePacket } from './swim/codec.js'
import type { IdCodec } from './swim/codec.js'
import { Swim } from './swim/state.js'
import type { MemberState, SwimParams } from './swim/types.js'
import type { GossipTransport } from './transport.js'

/** A member as `weft members` shows it. */
export interface GossipMemberView {
  deviceId: DeviceId
  state: MemberState
  incarnation: number
  /** When this device last saw the state change (ms since epoch). */
  since: number
}

/** Counters of one network's gossip. */
export interface GossipStats {
  malformedPackets: number
  unknownMemberMessages: number
}

/** Options of {@link NetworkGossip}. */
export interface NetworkGossipOptions {
  network: NetworkId
  self: DeviceId
  /** The network's members now, this device included. */
  members: () => ReadonlySet<DeviceId>
  params: Partial<SwimParams>
  transport: GossipTransport
  log: Logger
  onChange: (device: DeviceId, state: MemberState, previous: MemberState | undefined) => void
}

/** Short wire ID of a device: the first 8 bytes of its public key. */
export function shortId (device: DeviceId): string {
  return Buffer.from(parseDeviceId(device).publicKey.subarray(0, 8)).toString('hex')
}

/** SWIM membership of one network, bound to the mesh. */
export class NetworkGossip {
  readonly stats: GossipStats = { malformedPackets: 0, unknownMemberMessages: 0 }
  readonly swim: Swim
  readonly #o: NetworkGossipOptions
  #timer?: NodeJS.Timeout
  #codec?: { key: string, codec: IdCodec }
  #stopped = false

  constructor (options: NetworkGossipOptions) {
    this.#o = options
    this.swim = new Swim({ self: options.self, params: options.params, random: Math.random, now: Date.now() })
  }

  start (): void {
    this.#schedule()
  }

  /** Pushes and pulls full state with `peer` (at join, and when a connection to it opens). */
  syncWith (peers: DeviceId[]): void {
    if (this.#stopped) return
    this.swim.join(peers, Date.now())
    this.#flush()
  }

  /** Handles a packet from `from` (a member of some network of ours, per the transport). */
  receive (from: DeviceId, bytes: Uint8Array): void {
    if (this.#stopped) return
    if (!this.#o.members().has(from)) { this.stats.unknownMemberMessages++; return }
    try {
      const { packet, unknownIds } = decodePacket(bytes, this.#ids())
      this.stats.unknownMemberMessages += unknownIds
      this.swim.receive(from, packet.msgs, Date.now())
    } catch (err) {
      this.stats.malformedPackets++
      this.#o.log.debug({ from, err: toWeftError(err).message }, 'malformed gossip packet dropped')
    }
    this.#flush()
  }

  /** Members as gossip sees them (current network members only), this device included. */
  members (): GossipMemberView[] {
    const current = this.#o.members()
    return this.swim.members().filter((m) => current.has(m.id as DeviceId)).map((m) => ({ deviceId: m.id as DeviceId, state: m.state, incarnation: m.incarnation, since: m.since }))
  }

  /** State of `device` as gossip sees it. */
  stateOf (device: DeviceId): MemberState | undefined {
    return this.swim.member(device)?.state
  }

  /** Announces a leave, keeps sending until it went out (at most `maxMs`), then stops. */
  async leave (maxMs = 2000): Promise<void> {
    if (this.#stopped) return
    this.swim.leave(Date.now())
    this.#flush()
    const until = Date.now() + maxMs
    while (this.swim.pendingBroadcasts > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, this.swim.params.gossipIntervalMs))
      this.swim.tick(Date.now())
      this.#flush()
    }
    this.stop()
  }

  stop (): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  #ids (): IdCodec {
    const members = [...this.#o.members()].sort()
    const key = members.join()
    if (this.#codec?.key === key) return this.#codec.codec
    const byShort = new Map(members.map((d) => [shortId(d), d]))
    const codec: IdCodec = {
      encode: (id) => Buffer.from(shortId(id as DeviceId), 'hex'),
      decode: (bytes) => byShort.get(Buffer.from(bytes).toString('hex'))
    }
    this.#codec = { key, codec }
    return codec
  }

  #flush (): void {
    const ids = this.#ids()
    for (const out of this.swim.take()) {
      if (out.kind === 'change') {
        if (out.id !== this.#o.self) this.#o.onChange(out.id as DeviceId, out.state, out.previous)
        continue
      }
      try {
        this.#o.transport.send(out.to as DeviceId, this.#o.network, encodePacket(out.packet, ids))
      } catch (err) {
        this.#o.log.debug({ err: toWeftError(err).message }, 'gossip packet not sent')
      }
    }
    this.#schedule()
  }

  #schedule (): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    const wait = Math.max(0, Math.min(60_000, this.swim.nextDeadline() - Date.now()))
    this.#timer = setTimeout(() => {
      this.swim.tick(Date.now())
      this.#flush()
    }, wait)
    this.#timer.unref()
  }
}

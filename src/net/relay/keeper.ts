/**
 * Keeps a circuit-relay reservation on every relay this device knows, not just one: the
 * relays in the configuration and every fellow member that serves as a relay (it speaks the
 * hop protocol). For each it holds a direct connection, reserves a slot, and offers the
 * circuit address `<relay address>/p2p/<relay>/p2p-circuit` as one of its own, so members behind
 * NATs can reach it through any of them. A lost or refused reservation is retried with
 * backoff; the state of each relay (and why it refused) is what `weft doctor` shows.
 *
 * libp2p's own relay discovery is not used: it reserves on one or two relays, and a relay
 * that failed to dial once is never tried again (a filter in the reservation store).
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { Backoff } from '../../core/backoff.js'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { NodeInternals } from '../internals.js'
import { tryDeviceIdOf } from '../peer-ids.js'
import type { RelayStatus } from '../types.js'

/** Protocol a relay serves (circuit relay v2 hop). */
export const hopProtocol = '/libp2p/circuit/relay/0.2.0/hop'

const tickMs = 2000
const reserveTimeoutMs = 10_000

/** Options of {@link RelayKeeper}. */
export interface RelayKeeperOptions {
  node: Libp2p
  internals: NodeInternals
  /** Relay multiaddrs from the configuration, each ending in `/p2p/<relay id>`. */
  configured: string[]
  /** True for devices that share a network with us (their relays are worth using). */
  isFellow: (device: DeviceId) => boolean
  /** Called when this device's announced addresses changed. */
  onAddressesChanged: () => void
  log: Logger
}

interface RelayEntry {
  peer: PeerId
  device: DeviceId
  source: 'config' | 'member'
  dialAddrs: Multiaddr[]
  state: RelayStatus['state']
  reason?: string
  expiresAt?: number
  circuit?: Multiaddr
}

/** Reservation manager for every known relay. */
export class RelayKeeper {
  readonly #o: RelayKeeperOptions
  readonly #relays = new Map<string, RelayEntry>()
  readonly #backoff = new Backoff<string>({ initialMs: 2000, maxMs: 60_000 })
  readonly #inflight = new Set<string>()
  readonly #notRelays = new Set<string>()
  #timer?: NodeJS.Timeout
  readonly #onRemoved = (evt: CustomEvent<{ relay: PeerId }>): void => { this.#lost(evt.detail.relay.toString()) }

  constructor (options: RelayKeeperOptions) {
    this.#o = options
    for (const address of options.configured) {
      const ma = multiaddr(address)
      const id = ma.getComponents().findLast((c) => c.name === 'p2p')?.value
      const device = id === undefined ? undefined : deviceOfPeerId(id)
      if (id === undefined || device === undefined) {
        options.log.warn({ relay: address }, 'relay address without a weft device ID (/p2p/...); ignored')
        continue
      }
      const existing = this.#relays.get(id)
      if (existing !== undefined) existing.dialAddrs.push(ma.decapsulateCode(421))
      else this.#relays.set(id, { peer: peerIdFromString(id), device, source: 'config', dialAddrs: [ma.decapsulateCode(421)], state: 'connecting' })
    }
  }

  start (): void {
    this.#o.internals.reservationStore.addEventListener('relay:removed', this.#onRemoved)
    this.#timer = setInterval(() => { this.poke() }, tickMs)
    this.#timer.unref()
    this.poke()
  }

  stop (): void {
    clearInterval(this.#timer)
    this.#o.internals.reservationStore.removeEventListener('relay:removed', this.#onRemoved)
  }

  /** Looks for relays among connected members and (re)reserves where due. */
  poke (): void {
    this.#discoverMemberRelays()
    const now = Date.now()
    for (const [id, entry] of this.#relays) {
      if (entry.state === 'reserved' || this.#inflight.has(id) || !this.#backoff.due(id, now)) continue
      void this.#reserve(id, entry)
    }
  }

  /** Retries relays that refused us or could not be reached, without waiting out their backoff. */
  retrySoon (): void {
    for (const [id, entry] of this.#relays) {
      if (entry.state !== 'reserved') this.#backoff.reset(id)
    }
    setTimeout(() => { this.poke() }, 200).unref()
  }

  /** Every known relay and our reservation on it. */
  status (): RelayStatus[] {
    return [...this.#relays.values()].map((e) => ({
      deviceId: e.device,
      source: e.source,
      state: e.state,
      ...(e.reason === undefined ? {} : { reason: e.reason }),
      ...(e.expiresAt === undefined ? {} : { expiresAt: e.expiresAt }),
      ...(e.circuit === undefined ? {} : { address: e.circuit.toString() })
    }))
  }

  /**
   * Our circuit addresses, one per reserved relay. Kept here rather than in libp2p's address
   * manager, which would take a circuit address through a public relay IP for a port mapping.
   */
  circuitAddresses (): string[] {
    return [...this.#relays.values()].flatMap((e) => e.state === 'reserved' && e.circuit !== undefined ? [e.circuit.toString()] : [])
  }

  /** Devices we hold a reservation with. */
  reservedRelays (): DeviceId[] {
    return [...this.#relays.values()].filter((e) => e.state === 'reserved').map((e) => e.device)
  }

  #discoverMemberRelays (): void {
    for (const connection of this.#o.node.getConnections()) {
      const id = connection.remotePeer.toString()
      if (this.#relays.has(id) || this.#notRelays.has(id) || isRelayed(connection) || connection.status !== 'open') continue
      const device = tryDeviceIdOf(connection.remotePeer)
      if (device === undefined || !this.#o.isFellow(device)) continue
      void this.#o.node.peerStore.get(connection.remotePeer).then((peer) => {
        if (!peer.protocols.includes(hopProtocol) || this.#relays.has(id)) return
        this.#o.log.debug({ relay: device }, 'member may serve as a relay; trying to reserve a slot')
        this.#relays.set(id, { peer: connection.remotePeer, device, source: 'member', dialAddrs: [], state: 'connecting' })
        this.poke()
      }).catch(() => {})
    }
  }

  async #reserve (id: string, entry: RelayEntry): Promise<void> {
    this.#inflight.add(id)
    try {
      const connection = await this.#directConnection(entry)
      const { details } = await this.#o.internals.reservationStore.addRelay(entry.peer, 'configured')
      const circuit = multiaddr(`${connection.remoteAddr.decapsulateCode(421).toString()}/p2p/${id}/p2p-circuit`)
      const expiresAt = Number(details.reservation.expire) * 1000
      Object.assign(entry, { state: 'reserved', reason: undefined, circuit, expiresAt })
      this.#backoff.reset(id)
      this.#o.log.info({ relay: entry.device, address: circuit.toString() }, 'relay reservation made')
      this.#o.onAddressesChanged()
    } catch (err) {
      const reason = (err as Error).message
      if (entry.source === 'member' && /could not negotiate|previously invalid/.test(reason)) {
        // Not a relay after all (libp2p can list a protocol a peer only used with us).
        this.#notRelays.add(id)
        this.#relays.delete(id)
        return
      }
      if (entry.reason !== reason) this.#o.log.warn({ relay: entry.device, reason }, 'relay reservation failed; will retry')
      entry.state = /PERMISSION_DENIED|RESERVATION_REFUSED|RESOURCE_LIMIT/.test(reason) ? 'refused' : 'unreachable'
      entry.reason = reason
      this.#backoff.failed(id, Date.now())
    } finally {
      this.#inflight.delete(id)
    }
  }

  /** An open, non-relayed connection to the relay (a reservation over a circuit is refused). */
  async #directConnection (entry: RelayEntry): Promise<Connection> {
    const open = this.#o.node.getConnections(entry.peer).find((c) => c.status === 'open' && !isRelayed(c))
    if (open !== undefined) return open
    if (entry.dialAddrs.length === 0) throw new Error('not connected to this relay and no address to dial it')
    let last: unknown
    for (const address of entry.dialAddrs) {
      try {
        return await this.#o.node.dial(address.encapsulate(`/p2p/${entry.peer.toString()}`), { signal: AbortSignal.timeout(reserveTimeoutMs) })
      } catch (err) {
        last = err
      }
    }
    throw new Error(`cannot connect: ${(last as Error | undefined)?.message ?? 'no address'}`)
  }

  #lost (id: string): void {
    const entry = this.#relays.get(id)
    if (entry === undefined) return
    Object.assign(entry, { state: 'connecting', circuit: undefined, expiresAt: undefined, reason: 'reservation lost' })
    this.#o.log.info({ relay: entry.device }, 'relay reservation lost; will reserve again')
    this.#o.onAddressesChanged()
    // A member relay that went away is found again when it reconnects.
    if (entry.source === 'member') this.#relays.delete(id)
  }
}

function deviceOfPeerId (id: string): DeviceId | undefined {
  try {
    return tryDeviceIdOf(peerIdFromString(id))
  } catch {
    return undefined
  }
}

/** True for a connection through a relay. */
export function isRelayed (connection: Connection): boolean {
  return connection.remoteAddr.toString().includes('/p2p-circuit')
}

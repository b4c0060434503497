/**
 * Everything that keeps a device reachable beyond the LAN, on top of a started libp2p node:
 * reservations on every known relay, hole punching of relayed connections, bootstrap peers,
 * the DHT record store, our interface addresses announced as they are, roaming (connections
 * of a vanished address closed, connections a peer left behind pinged and closed), the NAT
 * check for `weft doctor`, and closing relayed connections a direct one made redundant.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import type { Logger } from '../core/log.js'
import { isLoopbackAddress } from './addresses.js'
import { BootstrapKeeper } from './bootstrap.js'
import { KadRecordStore } from './dht/store.js'
import { nodeInternals } from './internals.js'
import type { NodeInternals } from './internals.js'
import { netCheck } from './netcheck.js'
import { deviceIdOf, tryDeviceIdOf } from './peer-ids.js'
import { HolePuncher } from './punch/puncher.js'
import { RelayKeeper, isRelayed } from './relay/keeper.js'
import { InterfaceWatcher, checkConnection } from './roaming.js'
import type { ConnectionGate, NetCheck, PathKind, PunchStats, RecordStore, RelayStatus } from './types.js'

/** How often relayed connections that a direct one made redundant are checked for idleness. */
const sweepMs = 5000

/** Options of {@link Connectivity}. */
export interface ConnectivityOptions {
  node: Libp2p
  self: DeviceId
  /** Configured relays and bootstrap peers (multiaddrs ending in /p2p/ID). */
  relays: string[]
  bootstrap: string[]
  holePunching: boolean
  gate: () => ConnectionGate
  /** The path new streams to `device` would take. */
  path: (device: DeviceId) => PathKind | undefined
  onAddressesChanged: () => void
  onPathUpgraded: (device: DeviceId) => void
  log: Logger
}

/** Reachability machinery of a {@link Libp2pMesh}. */
export class Connectivity {
  readonly #o: ConnectivityOptions
  readonly #internals: NodeInternals
  readonly #relays: RelayKeeper
  readonly #puncher?: HolePuncher
  readonly #bootstrap: BootstrapKeeper
  readonly #interfaces: InterfaceWatcher
  readonly #dht?: KadRecordStore
  #sweeper?: NodeJS.Timeout
  readonly #onOpen = (evt: CustomEvent<Connection>): void => {
    // A fellow that serves as a relay may have connected: reserve on it too.
    if (!isRelayed(evt.detail)) setTimeout(() => { this.#relays.poke() }, 500).unref()
    else this.#pathChanged(evt.detail.remotePeer)
    this.#pruneStale(evt.detail)
  }

  constructor (options: ConnectivityOptions) {
    this.#o = options
    const { node, log } = options
    this.#internals = nodeInternals(node)
    const isFellow = (d: DeviceId): boolean => options.gate().isFellow(d)
    this.#relays = new RelayKeeper({ node, internals: this.#internals, configured: options.relays, isFellow, onAddressesChanged: options.onAddressesChanged, log: log.child({ part: 'relays' }) })
    if (options.holePunching) this.#puncher = new HolePuncher({ node, internals: this.#internals, self: options.self, allowed: isFellow, onDirect: options.onPathUpgraded, log: log.child({ part: 'punch' }) })
    const dht = (node.services as Record<string, unknown>).dht
    if (dht !== undefined) this.#dht = new KadRecordStore(dht as ConstructorParameters<typeof KadRecordStore>[0])
    this.#bootstrap = new BootstrapKeeper(node, options.bootstrap, log.child({ part: 'bootstrap' }))
    this.#interfaces = new InterfaceWatcher((change) => { this.#onInterfacesChanged(change) })
  }

  async start (): Promise<void> {
    this.#confirmInterfaceAddresses()
    this.#relays.start()
    await this.#puncher?.start()
    this.#bootstrap.start()
    this.#o.node.addEventListener('connection:open', this.#onOpen)
    this.#interfaces.start()
    this.#sweeper = setInterval(() => { this.#sweepRelayed() }, sweepMs)
    this.#sweeper.unref()
  }

  stop (): void {
    clearInterval(this.#sweeper)
    this.#o.node.removeEventListener('connection:open', this.#onOpen)
    this.#interfaces.stop()
    this.#relays.stop()
    this.#puncher?.stop()
    this.#bootstrap.stop()
  }

  get dht (): RecordStore | undefined {
    return this.#dht
  }

  /** Membership changed: relays that refused us may accept now. */
  gateChanged (): void {
    this.#relays.retrySoon()
  }

  relays (): RelayStatus[] {
    return this.#relays.status()
  }

  circuitAddresses (): string[] {
    return this.#relays.circuitAddresses()
  }

  punchStats (): PunchStats {
    return this.#puncher?.stats() ?? { attempts: 0, successes: 0 }
  }

  /** Asks relays and bootstrap nodes (address observers) how our NAT behaves. */
  async netCheck (options: AbortOptions = {}): Promise<NetCheck> {
    const { node } = this.#o
    const reserved = new Set(this.#relays.reservedRelays())
    const candidates = [...this.#o.relays, ...this.#o.bootstrap, ...node.getConnections().filter((c) => !isRelayed(c) && reserved.has(deviceIdOf(c.remotePeer))).map((c) => c.remoteAddr.toString())]
    const observers = new Map<string, { host: string, port: number }>()
    for (const address of candidates) {
      const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(address)
      if (match !== null) observers.set(`${match[1]}:${match[2]}`, { host: match[1] ?? '', port: Number(match[2]) })
    }
    const tcpPort = node.getMultiaddrs().map((ma) => /\/tcp\/(\d+)/.exec(ma.toString())?.[1]).find((p) => p !== undefined)
    // Prefer observers on different hosts first; two addresses of one host come next.
    const ordered = [...observers.values()].sort((a, b) => a.host.localeCompare(b.host))
    const distinct = ordered.filter((o, i) => ordered.findIndex((x) => x.host === o.host) === i)
    return await netCheck([...distinct, ...ordered.filter((o) => !distinct.includes(o))], tcpPort === undefined ? undefined : Number(tcpPort), options)
  }

  /**
   * libp2p announces a public address only once something (AutoNAT) verified it; ours are the
   * addresses of our own interfaces, which we announce as they are (a device on a public IP
   * is reachable there unless a firewall says otherwise, which `weft doctor` checks).
   */
  #confirmInterfaceAddresses (): void {
    for (const address of this.#internals.addressManager.getAddressesWithMetadata()) {
      if (address.type === 'transport' && !address.verified) this.#internals.addressManager.confirmObservedAddr(address.multiaddr, { type: 'transport', ttl: 7 * 24 * 3600_000 })
    }
  }

  #pathChanged (peer: PeerId): void {
    const device = tryDeviceIdOf(peer)
    if (device !== undefined && this.#o.path(device) !== 'relay') this.#o.onPathUpgraded(device)
  }

  /**
   * This device moved (an interface address went away): its connections ran over the old
   * network and die only after minutes of TCP retries, so close them and reconnect now.
   */
  #onInterfacesChanged (change: { added: string[], removed: string[] }): void {
    this.#o.log.info(change, 'network interfaces changed')
    this.#confirmInterfaceAddresses()
    if (change.removed.length > 0) {
      for (const connection of this.#o.node.getConnections()) {
        // Abort, not close: a graceful close waits for answers that cannot come any more.
        if (!isLoopbackAddress(connection.remoteAddr.toString())) connection.abort(new Error('network interface gone'))
      }
    }
    // Failures while the old network went away say nothing about the new one.
    this.#relays.retrySoon()
    this.#o.onAddressesChanged()
  }

  /**
   * A peer connected again while older connections to it are open: if it moved, those are
   * dead (nothing tells us), so ping over each and close the ones that do not answer.
   */
  #pruneStale (fresh: Connection): void {
    const older = this.#o.node.getConnections(fresh.remotePeer).filter((c) => c.id !== fresh.id && c.status === 'open')
    if (older.length === 0) return
    void Promise.all(older.map(async (connection) => {
      if (await checkConnection(connection, 2000)) return
      this.#o.log.info({ peer: tryDeviceIdOf(connection.remotePeer), address: connection.remoteAddr.toString() }, 'closing a connection the peer left behind')
      connection.abort(new Error('peer no longer answers on this connection'))
    })).then(() => {
      // A stale direct connection kept the puncher from trying; now it may.
      if (isRelayed(fresh)) this.#puncher?.reconsider(fresh)
    })
  }

  /** Closes relayed connections that carry no stream once a direct one to the same peer is open. */
  #sweepRelayed (): void {
    for (const connection of this.#o.node.getConnections()) {
      if (!isRelayed(connection) || connection.streams.length > 0) continue
      const direct = this.#o.node.getConnections(connection.remotePeer).some((c) => c.status === 'open' && !isRelayed(c))
      if (direct) void connection.close().catch(() => {})
    }
  }
}

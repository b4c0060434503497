/**
 * The mesh on js-libp2p: TCP (native TLS) and WebSockets transports, circuit relays (as a
 * client always, as a relay when configured), hole punching, a stream multiplexer, identify,
 * ping, optional mDNS and an optional DHT. The only module of weft that assembles a libp2p node.
 */
import './polyfills.js'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Libp2pOptions } from 'libp2p'
import type { Logger } from '../core/log.js'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { Emitter } from '../core/emitter.js'
import { WeftError } from '../core/errors.js'
import type { ConnectionGate, HandleOptions, Mesh, MeshEvents, MeshStream, PeerLink, StreamHandler } from './types.js'
import { deviceIdOf, libp2pKeyFromSeed, peerIdOf, tryDeviceIdOf } from './peer-ids.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { isLoopbackAddress, isShareableAddress, pathOfAddress } from './addresses.js'
import { toMeshStream } from './libp2p-stream.js'
import { nativeTlsTcp } from './native-tls/index.js'
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { NetCheck, PunchStats, RecordStore, RelayStatus } from './types.js'
import { nodeInternals } from './internals.js'
import type { NodeInternals } from './internals.js'
import { RelayKeeper, isRelayed } from './relay/keeper.js'
import { HolePuncher } from './punch/puncher.js'
import { netCheck } from './netcheck.js'
import { relayServerInit } from './relay/server.js'
import type { RelayServerOptions } from './relay/server.js'
import { BoundedMemoryDatastore, KadRecordStore, dhtInit } from './dht/store.js'
import { pathRank } from './addresses.js'
import { BootstrapKeeper } from './bootstrap.js'
import { InterfaceWatcher, checkConnection, pingConnection } from './roaming.js'

/** Options of {@link Libp2pMesh}. */
export interface Libp2pMeshOptions {
  /** The device's Ed25519 seed (its libp2p key). */
  seed: Uint8Array
  /** Multiaddrs to listen on. */
  listen: string[]
  /** Multiaddrs to announce instead of the listening ones (empty: announce what we listen on). */
  announce: string[]
  /** LAN discovery by mDNS. */
  mdns: { enabled: boolean, intervalMs: number }
  /** Identify agent string, e.g. `weft/0.1.0`. */
  agentVersion: string
  /** Serve as a relay for fellow members (undefined: not a relay). */
  relay?: RelayServerOptions
  /** Relays to hold reservations on (multiaddrs ending in /p2p/ID), besides members that are relays. */
  relays: string[]
  /** Bootstrap peers (multiaddrs ending in /p2p/ID): DHT entry points, dialled at start. */
  bootstrap: string[]
  /** Take part in the DHT: as a server (public devices), a client, or not at all. */
  dht: 'server' | 'client' | 'off'
  /** Upgrade relayed connections by hole punching. */
  holePunching: boolean
  logger: Logger
}

interface Services extends Record<string, unknown> {
  ping: Ping
}

/** How often relayed connections that a direct one made redundant are checked for idleness. */
const sweepMs = 5000

/** Service tag of weft's mDNS announcements, so weft devices find each other and not every libp2p node. */
export const mdnsServiceTag = '_weft._udp.local'

/** A {@link Mesh} backed by a js-libp2p node. */
export class Libp2pMesh implements Mesh {
  readonly events = new Emitter<MeshEvents>()
  readonly #options: Libp2pMeshOptions
  readonly #log: Logger
  readonly #rtt = new Map<DeviceId, number>()
  #node?: Libp2p<Services>
  #gate: ConnectionGate = { allowConnection: () => true, isFellow: () => false, shareNetwork: () => false }
  #deviceId?: DeviceId
  #relays?: RelayKeeper
  #puncher?: HolePuncher
  #bootstrap?: BootstrapKeeper
  #dht?: KadRecordStore
  #sweeper?: NodeJS.Timeout
  #interfaces?: InterfaceWatcher
  #internals?: NodeInternals
  #announced = ''

  constructor (options: Libp2pMeshOptions) {
    this.#options = options
    this.#log = options.logger
  }

  get deviceId (): DeviceId {
    if (this.#deviceId === undefined) throw new WeftError('INTERNAL', 'mesh not started')
    return this.#deviceId
  }

  setGate (gate: ConnectionGate): void {
    this.#gate = gate
  }

  async start (): Promise<void> {
    const privateKey = await libp2pKeyFromSeed(this.#options.seed)
    const peerDiscovery: NonNullable<Libp2pOptions<Services>['peerDiscovery']> = []
    // Optional modules load only when configured: each costs memory in every daemon.
    if (this.#options.mdns.enabled) {
      const { mdns } = await import('@libp2p/mdns')
      peerDiscovery.push(mdns({ serviceTag: mdnsServiceTag, interval: this.#options.mdns.intervalMs }))
    }
    // TCP runs libp2p's TLS handshake in Node's native TLS 1.3 (see native-tls/transport.ts):
    // about twice the throughput of Noise over TCP here. Relayed connections (and WebSockets)
    // are encrypted end to end by Noise: a relay sees only ciphertext.
    const transports: NonNullable<Libp2pOptions<Services>['transports']> = [nativeTlsTcp(), circuitRelayTransport({ reservationCompletionTimeout: 10_000 })]
    const connectionEncrypters: NonNullable<Libp2pOptions<Services>['connectionEncrypters']> = [noise()]
    if (this.#options.listen.some((a) => /\/wss?(\/|$)/.test(a))) {
      const { webSockets } = await import('@libp2p/websockets')
      transports.push(webSockets())
    }
    const services: Libp2pOptions<Services>['services'] = { identify: identify(), ping: ping() }
    if (this.#options.relay !== undefined) {
      const { circuitRelayServer } = await import('@libp2p/circuit-relay-v2')
      services.relay = circuitRelayServer(relayServerInit(this.#options.relay))
    }
    if (this.#options.dht !== 'off') {
      const { kadDHT } = await import('@libp2p/kad-dht')
      services.dht = kadDHT(dhtInit(this.#options.dht))
    }
    const denyPeer = (peer: PeerId): boolean => {
      const device = tryDeviceIdOf(peer)
      return device === undefined || !this.#gate.allowConnection(device)
    }
    const options: Libp2pOptions<Services> = {
      privateKey,
      addresses: { listen: this.#options.listen, announce: this.#options.announce },
      transports,
      connectionEncrypters,
      // Larger messages and stream windows: fewer frames and window updates per byte.
      streamMuxers: [yamux({ maxMessageSize: 256 * 1024, streamOptions: { maxStreamWindowSize: 16 * 1024 * 1024 } })],
      peerDiscovery,
      connectionGater: {
        denyDialPeer: (peer) => denyPeer(peer),
        denyInboundEncryptedConnection: (peer) => denyPeer(peer),
        denyOutboundEncryptedConnection: (peer) => denyPeer(peer),
        // loopback and private addresses are where LAN peers and tests live
        denyDialMultiaddr: () => false,
        // As a relay: reservations for fellow members only, circuits only between two devices
        // that share one of our networks.
        denyInboundRelayReservation: (peer) => {
          const device = tryDeviceIdOf(peer)
          return device === undefined || !this.#gate.isFellow(device)
        },
        denyOutboundRelayedConnection: (source, destination) => {
          const [a, b] = [tryDeviceIdOf(source), tryDeviceIdOf(destination)]
          return a === undefined || b === undefined || !this.#gate.shareNetwork(a, b)
        }
      },
      connectionManager: { maxConnections: 512, inboundConnectionThreshold: 20, maxIncomingPendingConnections: 32 },
      nodeInfo: { userAgent: this.#options.agentVersion },
      // Capped: records from strangers (DHT, peer store) cannot grow memory without bound.
      datastore: new BoundedMemoryDatastore(20_000),
      services
    }
    try {
      this.#node = await createLibp2p(options)
    } catch (err) {
      throw new WeftError('CONFIG_INVALID', `cannot start the network node: ${(err as Error).message}`, { cause: err })
    }
    this.#deviceId = deviceIdOf(this.#node.peerId)
    this.#node.addEventListener('peer:connect', (evt) => { this.#onPeer('peer:connect', evt.detail) })
    this.#node.addEventListener('peer:disconnect', (evt) => {
      const device = tryDeviceIdOf(evt.detail)
      if (device !== undefined) this.#rtt.delete(device)
      this.#onPeer('peer:disconnect', evt.detail)
    })
    this.#node.addEventListener('peer:discovery', (evt) => {
      const device = tryDeviceIdOf(evt.detail.id)
      if (device === undefined || device === this.#deviceId) return
      this.events.emit('peer:discovered', { deviceId: device, addresses: evt.detail.multiaddrs.map(String) })
    })
    this.#node.addEventListener('self:peer:update', () => { this.#addressesMaybeChanged() })
    await this.#startConnectivity(this.#node)
    this.#log.info({ deviceId: this.#deviceId, addresses: this.listenAddresses() }, 'mesh started')
  }

  /** Relay reservations, hole punching, bootstrap peers, the DHT, and the relayed-connection sweeper. */
  async #startConnectivity (node: Libp2p<Services>): Promise<void> {
    const internals = nodeInternals(node)
    this.#internals = internals
    this.#confirmInterfaceAddresses()
    this.#relays = new RelayKeeper({ node, internals, configured: this.#options.relays, isFellow: (d) => this.#gate.isFellow(d), onAddressesChanged: () => { this.#addressesMaybeChanged() }, log: this.#log.child({ part: 'relays' }) })
    this.#relays.start()
    if (this.#options.holePunching) {
      this.#puncher = new HolePuncher({ node, internals, self: this.deviceId, allowed: (d) => this.#gate.isFellow(d), onDirect: (d) => { this.#pathUpgraded(d) }, log: this.#log.child({ part: 'punch' }) })
      await this.#puncher.start()
    }
    const dht = (node.services as Record<string, unknown>).dht
    if (dht !== undefined) this.#dht = new KadRecordStore(dht as ConstructorParameters<typeof KadRecordStore>[0])
    this.#bootstrap = new BootstrapKeeper(node, this.#options.bootstrap, this.#log.child({ part: 'bootstrap' }))
    this.#bootstrap.start()
    node.addEventListener('connection:open', (evt) => {
      // A fellow that serves as a relay may have connected: reserve on it too.
      if (!isRelayed(evt.detail)) setTimeout(() => { this.#relays?.poke() }, 500).unref()
      else this.#pathChanged(evt.detail.remotePeer)
      this.#pruneStale(evt.detail)
    })
    this.#interfaces = new InterfaceWatcher((change) => { this.#onInterfacesChanged(change) })
    this.#interfaces.start()
    this.#sweeper = setInterval(() => { this.#sweepRelayed() }, sweepMs)
    this.#sweeper.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.#sweeper)
    this.#interfaces?.stop()
    this.#relays?.stop()
    this.#puncher?.stop()
    this.#bootstrap?.stop()
    await this.#node?.stop()
    this.#node = undefined
  }

  get dht (): RecordStore | undefined {
    return this.#dht
  }

  gateChanged (): void {
    this.#relays?.retrySoon()
  }

  relays (): RelayStatus[] {
    return this.#relays?.status() ?? []
  }

  punchStats (): PunchStats {
    return this.#puncher?.stats() ?? { attempts: 0, successes: 0 }
  }

  /** Asks relays and bootstrap nodes (address observers) how our NAT behaves. */
  async netCheck (options: AbortOptions = {}): Promise<NetCheck> {
    const node = this.#requireNode()
    const observers = new Map<string, { host: string, port: number }>()
    const candidates = [...this.#options.relays, ...this.#options.bootstrap, ...node.getConnections().filter((c) => !isRelayed(c) && this.#relays?.reservedRelays().includes(deviceIdOf(c.remotePeer)) === true).map((c) => c.remoteAddr.toString())]
    for (const address of candidates) {
      const match = /^\/ip4\/([^/]+)\/tcp\/(\d+)/.exec(address)
      if (match !== null) observers.set(`${match[1]}:${match[2]}`, { host: match[1] ?? '', port: Number(match[2]) })
    }
    const tcpPort = node.getMultiaddrs().map((ma) => /\/tcp\/(\d+)/.exec(ma.toString())?.[1]).find((p) => p !== undefined)
    // Prefer observers on different hosts: two ports of one host tell nothing about mapping.
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
    for (const address of this.#internals?.addressManager.getAddressesWithMetadata() ?? []) {
      if (address.type === 'transport' && !address.verified) this.#internals?.addressManager.confirmObservedAddr(address.multiaddr, { type: 'transport', ttl: 7 * 24 * 3600_000 })
    }
  }

  #addressesMaybeChanged (): void {
    const addresses = this.listenAddresses()
    const key = [...addresses].sort().join(' ')
    if (key === this.#announced) return
    this.#announced = key
    this.events.emit('self:addresses', addresses)
  }

  #pathUpgraded (device: DeviceId): void {
    const path = this.link(device).path
    if (path !== undefined) this.events.emit('peer:path', { deviceId: device, path })
  }

  #pathChanged (peer: PeerId): void {
    const device = tryDeviceIdOf(peer)
    if (device !== undefined && this.link(device).path !== 'relay') this.#pathUpgraded(device)
  }

  /**
   * This device moved (an interface address went away): its connections ran over the old
   * network and die only after minutes of TCP retries, so close them and reconnect now.
   */
  #onInterfacesChanged (change: { added: string[], removed: string[] }): void {
    this.#log.info(change, 'network interfaces changed')
    this.#confirmInterfaceAddresses()
    if (change.removed.length > 0) {
      for (const connection of this.#node?.getConnections() ?? []) {
        if (!isLoopbackAddress(connection.remoteAddr.toString())) void connection.close().catch(() => { connection.abort(new Error('interface gone')) })
      }
    }
    this.#relays?.poke()
    this.#addressesMaybeChanged()
  }

  /**
   * A peer connected again while older connections to it are open: if it moved, those are
   * dead (nothing tells us), so ping over each and close the ones that do not answer.
   */
  #pruneStale (fresh: Connection): void {
    const older = this.#node?.getConnections(fresh.remotePeer).filter((c) => c.id !== fresh.id && c.status === 'open') ?? []
    for (const connection of older) {
      void checkConnection(connection, 3000).then((alive) => {
        if (alive) return
        this.#log.info({ peer: tryDeviceIdOf(connection.remotePeer), address: connection.remoteAddr.toString() }, 'closing a connection the peer left behind')
        connection.abort(new Error('peer no longer answers on this connection'))
      })
    }
  }

  /** Closes relayed connections that carry no stream once a direct one to the same peer is open. */
  #sweepRelayed (): void {
    for (const connection of this.#node?.getConnections() ?? []) {
      if (!isRelayed(connection) || connection.streams.length > 0) continue
      const direct = this.#node?.getConnections(connection.remotePeer).some((c) => c.status === 'open' && !isRelayed(c)) === true
      if (direct) void connection.close().catch(() => {})
    }
  }

  #onPeer (event: 'peer:connect' | 'peer:disconnect', peer: PeerId): void {
    const device = tryDeviceIdOf(peer)
    if (device !== undefined) this.events.emit(event, device)
  }

  #requireNode (): Libp2p<Services> {
    if (this.#node === undefined) throw new WeftError('INTERNAL', 'mesh not started')
    return this.#node
  }

  listenAddresses (): string[] {
    const node = this.#node
    if (node === undefined) return []
    const all = [...node.getMultiaddrs().map((ma) => ma.decapsulateCode(421).toString()).filter(isShareableAddress), ...this.#relays?.circuitAddresses() ?? []]
    // Loopback reaches another device only when both run on this machine with nothing else.
    const outward = all.filter((a) => !isLoopbackAddress(a))
    return outward.length > 0 ? outward : all
  }

  async handle (protocol: string, handler: StreamHandler, options: HandleOptions = {}): Promise<void> {
    await this.#requireNode().handle(protocol, async (stream, connection) => {
      const remote = tryDeviceIdOf(connection.remotePeer)
      if (remote === undefined) {
        stream.abort(new Error('not a weft device'))
        return
      }
      try {
        await handler(toMeshStream(stream, remote))
      } catch (err) {
        this.#log.debug({ err, protocol, remote }, 'stream handler failed')
        stream.abort(err as Error)
      }
    }, { maxInboundStreams: options.maxInboundStreams ?? 32, maxOutboundStreams: options.maxOutboundStreams ?? 64, runOnLimitedConnection: true })
  }

  async connect (device: DeviceId, addresses: string[], options: AbortOptions = {}): Promise<void> {
    const node = this.#requireNode()
    const peer = peerIdOf(device)
    if (addresses.length > 0) {
      const multiaddrs = addresses.flatMap((a) => { try { return [multiaddr(a)] } catch { return [] } })
      await node.peerStore.merge(peer, { multiaddrs })
    }
    try {
      await node.dial(peer, { signal: options.signal })
    } catch (err) {
      throw new WeftError('PEER_UNREACHABLE', `cannot reach ${device}: ${(err as Error).message}`, { cause: err })
    }
  }

  async openStream (device: DeviceId, protocol: string, options: AbortOptions & { addresses?: string[] } = {}): Promise<MeshStream> {
    if (this.#bestConnection(device) === undefined) await this.connect(device, options.addresses ?? [], options)
    try {
      const connection = this.#bestConnection(device)
      if (connection === undefined) throw new Error('no open connection')
      const stream = await connection.newStream(protocol, { signal: options.signal, runOnLimitedConnection: true })
      return toMeshStream(stream, device)
    } catch (err) {
      throw new WeftError('PEER_UNREACHABLE', `cannot open ${protocol} to ${device}: ${(err as Error).message}`, { cause: err })
    }
  }

  async disconnect (device: DeviceId): Promise<void> {
    await this.#node?.hangUp(peerIdOf(device))
  }

  /** The open connection new streams should use: LAN, then direct, then relayed; newest first. */
  #bestConnection (device: DeviceId): Connection | undefined {
    const open = this.#node?.getConnections(peerIdOf(device)).filter((c) => c.status === 'open') ?? []
    return open.sort((a, b) => pathRank(pathOfAddress(a.remoteAddr.toString())) - pathRank(pathOfAddress(b.remoteAddr.toString())) || b.timeline.open - a.timeline.open)[0]
  }

  link (device: DeviceId): PeerLink {
    const connections: Connection[] = this.#node?.getConnections(peerIdOf(device)).filter((c) => c.status === 'open') ?? []
    const addresses = connections.map((c) => c.remoteAddr.decapsulateCode(421).toString())
    const best = this.#bestConnection(device)
    const path = best === undefined ? undefined : pathOfAddress(best.remoteAddr.toString())
    const relayId = path === 'relay' ? /\/p2p\/([^/]+)\/p2p-circuit/.exec(best?.remoteAddr.toString() ?? '')?.[1] : undefined
    const relay = relayId === undefined ? undefined : tryDeviceIdOf(peerIdFromString(relayId))
    return { deviceId: device, online: connections.length > 0, path, addresses, rttMs: this.#rtt.get(device), ...(relay === undefined ? {} : { relay }) }
  }

  /** Pings over the connection new streams would use (a relayed one included). */
  async ping (device: DeviceId, options: AbortOptions = {}): Promise<number> {
    const connection = this.#bestConnection(device)
    if (connection === undefined) throw new WeftError('PEER_UNREACHABLE', `ping to ${device} failed: not connected`)
    const rtt = await pingConnection(connection, AbortSignal.any([AbortSignal.timeout(10_000), ...(options.signal === undefined ? [] : [options.signal])]))
    if (rtt === undefined) throw new WeftError('PEER_UNREACHABLE', `ping to ${device} failed: no answer`)
    const rounded = Math.round(rtt * 10) / 10
    this.#rtt.set(device, rounded)
    return rounded
  }

  /** Addresses the peer store holds for `device` (learned from identify, mDNS or invites). */
  async knownAddresses (device: DeviceId): Promise<string[]> {
    try {
      const peer = await this.#requireNode().peerStore.get(peerIdOf(device))
      return peer.addresses.map((a) => a.multiaddr.toString())
    } catch {
      return []
    }
  }
}

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
import type { ConnectionGate, HandleOptions, Mesh, MeshDiagnostics, MeshEvents, MeshStream, PeerLink, StreamHandler } from './types.js'
import { deviceIdOf, libp2pKeyFromSeed, peerIdOf, tryDeviceIdOf } from './peer-ids.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { isLoopbackAddress, isShareableAddress, pathOfAddress } from './addresses.js'
import { toMeshStream } from './libp2p-stream.js'
import { createLibp2pSecureContext, nativeTlsTcp } from './native-tls/index.js'
import { logger as libp2pLogger } from '@libp2p/logger'
import { DirectLinks } from './direct-links.js'
import type { DirectEndpoint } from './direct-links.js'
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import type { DhtHealth, DirectStats, NetCheck, PunchStats, RecordStore, RelayStatus } from './types.js'
import { relayServerInit } from './relay/server.js'
import type { RelayServerOptions } from './relay/server.js'
import { BoundedMemoryDatastore, dhtInit } from './dht/store.js'
import { Connectivity } from './connectivity.js'
import { pingConnection } from './roaming.js'
import { pathRank } from './addresses.js'

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

/** Service tag of weft's mDNS announcements, so weft devices find each other and not every libp2p node. */
export const mdnsServiceTag = '_weft._udp.local'

/** Yamux's largest receive window per stream: bytes a sender may have in flight before the reader grants more. */
const streamWindow = 16 * 1024 * 1024

/** Errors of opening a stream that say nothing against the connection (the peer said no). */
const healthyRefusals = new Set(['UnsupportedProtocolError', 'TooManyOutboundProtocolStreamsError', 'TooManyInboundProtocolStreamsError', 'LimitedConnectionError', 'AbortError', 'TimeoutError'])

/** A {@link Mesh} backed by a js-libp2p node, with the {@link MeshDiagnostics} the doctor reads. */
export class Libp2pMesh implements Mesh, MeshDiagnostics {
  readonly events = new Emitter<MeshEvents>()
  readonly #options: Libp2pMeshOptions
  readonly #log: Logger
  readonly #rtt = new Map<DeviceId, number>()
  /** Agent strings connected devices announced in identify (e.g. `weft/0.1.0`). */
  readonly #agents = new Map<DeviceId, string>()
  #node?: Libp2p<Services>
  #gate: ConnectionGate = { allowConnection: () => true, isFellow: () => false, shareNetwork: () => false }
  #deviceId?: DeviceId
  #connectivity?: Connectivity
  #direct?: DirectLinks
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
    let directContext: ReturnType<typeof createLibp2pSecureContext> | undefined
    const direct = new DirectLinks({
      secureContext: async () => await (directContext ??= createLibp2pSecureContext(privateKey)),
      gate: () => this.#gate,
      log: this.#log,
      libp2pLog: libp2pLogger('weft:direct')
    })
    this.#direct = direct
    const transports: NonNullable<Libp2pOptions<Services>['transports']> = [nativeTlsTcp({ direct: (socket, peer) => { direct.accept(socket, peer) } }), circuitRelayTransport({ reservationCompletionTimeout: 10_000 })]
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
      // Larger messages and stream windows: fewer frames and window updates per byte. A stream
      // paused by a slow reader (libp2p-stream.ts) still receives what the window granted: its
      // read buffer must hold a whole window, or libp2p resets the stream.
      streamMuxers: [yamux({ maxMessageSize: 256 * 1024, streamOptions: { maxStreamWindowSize: streamWindow, maxReadBufferLength: 2 * streamWindow } })],
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
      if (device !== undefined) {
        this.#rtt.delete(device)
        this.#agents.delete(device)
      }
      this.#onPeer('peer:disconnect', evt.detail)
    })
    this.#node.addEventListener('peer:discovery', (evt) => {
      const device = tryDeviceIdOf(evt.detail.id)
      if (device === undefined || device === this.#deviceId) return
      this.events.emit('peer:discovered', { deviceId: device, addresses: evt.detail.multiaddrs.map(String) })
    })
    this.#node.addEventListener('peer:identify', (evt) => {
      const device = tryDeviceIdOf(evt.detail.peerId)
      if (device !== undefined && evt.detail.agentVersion !== undefined && this.#node?.getConnections(evt.detail.peerId).length !== 0) this.#agents.set(device, evt.detail.agentVersion.slice(0, 128))
    })
    this.#node.addEventListener('self:peer:update', () => { this.#addressesMaybeChanged() })
    this.#connectivity = new Connectivity({
      node: this.#node,
      self: this.#deviceId,
      relays: this.#options.relays,
      bootstrap: this.#options.bootstrap,
      holePunching: this.#options.holePunching,
      gate: () => this.#gate,
      path: (device) => this.link(device).path,
      onAddressesChanged: () => { this.#addressesMaybeChanged() },
      onPathUpgraded: (device) => { this.#pathUpgraded(device) },
      log: this.#log
    })
    await this.#connectivity.start()
    this.#log.info({ deviceId: this.#deviceId, addresses: this.listenAddresses() }, 'mesh started')
  }

  async stop (): Promise<void> {
    this.#connectivity?.stop()
    this.#direct?.stop()
    await this.#node?.stop()
    this.#node = undefined
  }

  get dht (): RecordStore | undefined {
    return this.#connectivity?.dht
  }

  dhtHealth (): DhtHealth | undefined {
    return this.#connectivity?.dht?.health()
  }

  gateChanged (): void {
    this.#connectivity?.gateChanged()
  }

  relays (): RelayStatus[] {
    return this.#connectivity?.relays() ?? []
  }

  punchStats (): PunchStats {
    return this.#connectivity?.punchStats() ?? { attempts: 0, successes: 0 }
  }

  async netCheck (options: AbortOptions = {}): Promise<NetCheck> {
    if (this.#connectivity === undefined) throw new WeftError('INTERNAL', 'mesh not started')
    return await this.#connectivity.netCheck(options)
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
    const all = [...node.getMultiaddrs().map((ma) => ma.decapsulateCode(421).toString()).filter(isShareableAddress), ...this.#connectivity?.circuitAddresses() ?? []]
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
    if (options.direct === true) this.#direct?.handle(protocol, handler)
  }

  async unhandle (protocol: string): Promise<void> {
    this.#direct?.unhandle(protocol)
    await this.#requireNode().unhandle(protocol)
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
    for (let attempt = 0; ; attempt++) {
      if (this.#bestConnection(device) === undefined) await this.connect(device, options.addresses ?? [], options)
      const connection = this.#bestConnection(device)
      try {
        if (connection === undefined) throw new Error('no open connection')
        const stream = await connection.newStream(protocol, { signal: options.signal, runOnLimitedConnection: true })
        return toMeshStream(stream, device)
      } catch (err) {
        // A connection that looks open may be dead underneath (a relay cut the circuit, the
        // peer vanished): it goes, and one fresh connection is tried before giving up.
        if (attempt === 0 && connection !== undefined && options.signal?.aborted !== true && !healthyRefusals.has((err as Error).name)) {
          this.#log.debug({ device, protocol, err: (err as Error).message }, 'stream open failed; dropping that connection and trying a fresh one')
          connection.abort(err as Error)
          continue
        }
        throw new WeftError('PEER_UNREACHABLE', `cannot open ${protocol} to ${device}: ${(err as Error).message}`, { cause: err })
      }
    }
  }

  /**
   * Resets the open streams with `device`, then closes its connections. A graceful close alone
   * would end each stream with a FIN, and the other side would take a truncated transfer for a
   * complete one: open streams fail with `PEER_UNREACHABLE` on both sides instead.
   */
  async disconnect (device: DeviceId): Promise<void> {
    this.#direct?.close(device)
    const node = this.#node
    if (node === undefined) return
    const peer = peerIdOf(device)
    const reason = new WeftError('PEER_UNREACHABLE', `disconnected from ${device}`)
    for (const connection of node.getConnections(peer)) {
      for (const stream of connection.streams) stream.abort(reason)
    }
    await node.hangUp(peer)
  }

  async openDirect (device: DeviceId, protocol: string, options: AbortOptions = {}): Promise<MeshStream | undefined> {
    const best = this.#bestConnection(device)
    if (best === undefined || this.#direct === undefined || pathOfAddress(best.remoteAddr.toString()) === 'relay') return undefined
    // A path that works answers a TCP connect within a round trip or so; one that does not (a
    // hole-punched mapping dialled from another port) costs a quarter second, once a minute.
    const rtt = this.#rtt.get(device) ?? 50
    return await this.#direct.open(device, protocol, await this.#directEndpoints(device, best), { ...options, connectTimeoutMs: 250 + 4 * rtt })
  }

  /**
   * Where a direct connection to `device` can be dialled: the address of the connection we
   * dialled, then the TCP addresses it announced on the same host as the open connection
   * (the path known to work). A hole-punched mapping is among them when we were the dialling
   * side; a NAT that admits nothing from another port makes that try cost the connect budget.
   */
  async #directEndpoints (device: DeviceId, best: Connection): Promise<DirectEndpoint[]> {
    const tcp = (address: string): DirectEndpoint | undefined => {
      const m = /^\/(?:ip4|ip6)\/([^/]+)\/tcp\/(\d+)(?:\/p2p\/[^/]+)?$/.exec(address)
      return m === null ? undefined : { host: m[1] ?? '', port: Number(m[2]) }
    }
    const current = tcp(best.remoteAddr.toString())
    if (current === undefined) return []
    const endpoints: DirectEndpoint[] = []
    if (best.direction === 'outbound') endpoints.push(current)
    for (const address of await this.knownAddresses(device)) {
      const endpoint = tcp(address)
      if (endpoint !== undefined && endpoint.host === current.host && !endpoints.some((e) => e.port === endpoint.port)) endpoints.push(endpoint)
    }
    return endpoints.slice(0, 2)
  }

  directStats (): DirectStats {
    const stats = this.#direct?.stats ?? { opened: 0, accepted: 0, refused: 0, dialFailures: 0, byProtocol: {} }
    return { ...stats, byProtocol: Object.fromEntries(Object.entries(stats.byProtocol).map(([p, c]) => [p, { ...c }])) }
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
    return { deviceId: device, online: connections.length > 0, path, addresses, rttMs: this.#rtt.get(device), agent: this.#agents.get(device), ...(relay === undefined ? {} : { relay }) }
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

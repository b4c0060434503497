/**
 * The mesh on js-libp2p: TCP and WebSockets transports, an encrypted and authenticated
 * channel, a stream multiplexer, identify, ping and (optionally) mDNS discovery. The only
 * module of weft that assembles a libp2p node.
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
import { isShareableAddress, pathOfAddress } from './addresses.js'
import { toMeshStream } from './libp2p-stream.js'
import { nativeTlsTcp } from './native-tls/index.js'

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
  logger: Logger
}

interface Services extends Record<string, unknown> {
  ping: Ping
}

/** Service tag of weft's mDNS announcements, so weft devices find each other and not every libp2p node. */
export const mdnsServiceTag = '_weft._udp.local'

/** A {@link Mesh} backed by a js-libp2p node. */
export class Libp2pMesh implements Mesh {
  readonly events = new Emitter<MeshEvents>()
  readonly #options: Libp2pMeshOptions
  readonly #log: Logger
  readonly #rtt = new Map<DeviceId, number>()
  #node?: Libp2p<Services>
  #gate: ConnectionGate = { allowConnection: () => true }
  #deviceId?: DeviceId

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
    // about twice the throughput of Noise over TCP here. Other transports use Noise.
    const transports: NonNullable<Libp2pOptions<Services>['transports']> = [nativeTlsTcp()]
    const connectionEncrypters: NonNullable<Libp2pOptions<Services>['connectionEncrypters']> = []
    if (this.#options.listen.some((a) => /\/wss?(\/|$)/.test(a))) {
      const [{ webSockets }, { noise }] = await Promise.all([import('@libp2p/websockets'), import('@chainsafe/libp2p-noise')])
      transports.push(webSockets())
      connectionEncrypters.push(noise())
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
        denyDialMultiaddr: () => false
      },
      connectionManager: { maxConnections: 512 },
      nodeInfo: { userAgent: this.#options.agentVersion },
      services: {
        identify: identify(),
        ping: ping()
      }
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
    this.#log.info({ deviceId: this.#deviceId, addresses: this.listenAddresses() }, 'mesh started')
  }

  async stop (): Promise<void> {
    await this.#node?.stop()
    this.#node = undefined
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
    return node.getMultiaddrs().map((ma) => ma.decapsulateCode(421).toString()).filter(isShareableAddress)
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
    const node = this.#requireNode()
    if (node.getConnections(peerIdOf(device)).length === 0) await this.connect(device, options.addresses ?? [], options)
    try {
      const stream = await node.dialProtocol(peerIdOf(device), protocol, { signal: options.signal, runOnLimitedConnection: true })
      return toMeshStream(stream, device)
    } catch (err) {
      throw new WeftError('PEER_UNREACHABLE', `cannot open ${protocol} to ${device}: ${(err as Error).message}`, { cause: err })
    }
  }

  async disconnect (device: DeviceId): Promise<void> {
    await this.#node?.hangUp(peerIdOf(device))
  }

  link (device: DeviceId): PeerLink {
    const connections: Connection[] = this.#node?.getConnections(peerIdOf(device)).filter((c) => c.status === 'open') ?? []
    const addresses = connections.map((c) => c.remoteAddr.decapsulateCode(421).toString())
    const paths = addresses.map(pathOfAddress)
    const path = paths.includes('lan') ? 'lan' : paths.includes('direct') ? 'direct' : paths[0]
    return { deviceId: device, online: connections.length > 0, path, addresses, rttMs: this.#rtt.get(device) }
  }

  async ping (device: DeviceId, options: AbortOptions = {}): Promise<number> {
    const node = this.#requireNode()
    try {
      const rtt = await node.services.ping.ping(peerIdOf(device), { signal: options.signal })
      this.#rtt.set(device, rtt)
      return rtt
    } catch (err) {
      throw new WeftError('PEER_UNREACHABLE', `ping to ${device} failed: ${(err as Error).message}`, { cause: err })
    }
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

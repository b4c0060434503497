/**
 * Direct connections beside the libp2p connection (native-tls/direct.ts): a stream of their
 * own for protocols that ask for it, when the peer is reachable on a LAN or direct path. The
 * listener side accepts only devices the connection gate allows, only for protocols
 * registered as direct, and at most a bounded number at once; the dialer side gives up
 * quickly and remembers a peer it could not reach this way, so callers fall back to a
 * muxed stream at little cost.
 */
import type { SecureContext, TLSSocket } from 'node:tls'
import type { Logger as Libp2pLogger, PeerId } from '@libp2p/interface'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import type { Logger } from '../core/log.js'
import type { ConnectionGate, DirectStats, MeshStream, StreamHandler } from './types.js'
import { dialDirect, readDirectProtocol } from './native-tls/index.js'
import { peerIdOf, tryDeviceIdOf } from './peer-ids.js'
import { socketMeshStream } from './socket-stream.js'

/** A TCP endpoint a direct connection can be dialled at. */
export interface DirectEndpoint { host: string, port: number }

/** Limits and timeouts (defaults suit a daemon). */
export interface DirectLimits {
  /** Open direct connections with one device, both directions. */
  perDevice: number
  /** Open direct connections in all. */
  total: number
  /** TCP connect of one attempt, unless the caller gives its own. */
  connectTimeoutMs: number
  /** TLS handshake and protocol of one attempt, after the connect. */
  handshakeTimeoutMs: number
  /** Dials in flight to one device; connections past it use the mesh connection. */
  dialsPerDevice: number
  /** After every endpoint failed, how long a device is not tried again. */
  retryAfterMs: number
}

const defaultLimits: DirectLimits = { perDevice: 64, total: 512, connectTimeoutMs: 1500, handshakeTimeoutMs: 5000, dialsPerDevice: 16, retryAfterMs: 60_000 }


/** Owns the direct connections of one mesh. */
export class DirectLinks {
  readonly #handlers = new Map<string, StreamHandler>()
  readonly #open = new Map<DeviceId, Set<TLSSocket>>()
  readonly #unreachableUntil = new Map<DeviceId, number>()
  readonly #dialing = new Map<DeviceId, number>()
  readonly #limits: DirectLimits
  readonly stats: DirectStats = { opened: 0, accepted: 0, refused: 0, dialFailures: 0, byProtocol: {} }
  #total = 0

  constructor (private readonly o: {
    secureContext: () => Promise<SecureContext>
    gate: () => ConnectionGate
    log: Logger
    libp2pLog: Libp2pLogger
    limits?: Partial<DirectLimits>
  }) {
    this.#limits = { ...defaultLimits, ...o.limits }
  }

  /** Lets `protocol` arrive on direct connections too. */
  handle (protocol: string, handler: StreamHandler): void {
    this.#handlers.set(protocol, handler)
  }

  /** Stops offering `protocol` on direct connections. */
  unhandle (protocol: string): void {
    this.#handlers.delete(protocol)
  }

  #count (protocol: string): { opened: number, accepted: number } {
    this.stats.byProtocol[protocol] ??= { opened: 0, accepted: 0 }
    return this.stats.byProtocol[protocol]
  }

  /** Listener side: an authenticated direct connection arrived. Never throws. */
  accept (tlsSocket: TLSSocket, remotePeer: PeerId): void {
    tlsSocket.on('error', (err: Error) => { this.o.log.debug({ err: err.message }, 'direct connection error') })
    const device = tryDeviceIdOf(remotePeer)
    if (device === undefined || !this.o.gate().allowConnection(device) || !this.#admit(device, tlsSocket)) {
      this.stats.refused++
      tlsSocket.destroy()
      return
    }
    void (async () => {
      try {
        const protocol = await readDirectProtocol(tlsSocket, AbortSignal.timeout(10_000))
        const handler = this.#handlers.get(protocol)
        if (handler === undefined) {
          this.stats.refused++
          throw new Error(`protocol ${protocol} is not offered on direct connections`)
        }
        this.stats.accepted++
        this.#count(protocol).accepted++
        await handler(socketMeshStream(tlsSocket, device, protocol))
      } catch (err) {
        this.o.log.debug({ device, err: (err as Error).message }, 'direct connection refused or failed')
        tlsSocket.destroy()
      }
    })()
  }

  /**
   * Dialer side: a stream of its own to `device` for `protocol`, trying `endpoints` in turn;
   * undefined when none answers. When no endpoint's path works (no TCP answer, another device
   * there, a daemon without direct streams) the device is skipped for a while; a handshake
   * that is merely slow (a loaded machine) is not held against it.
   */
  async open (device: DeviceId, protocol: string, endpoints: DirectEndpoint[], options: AbortOptions & { connectTimeoutMs?: number } = {}): Promise<MeshStream | undefined> {
    if ((this.#unreachableUntil.get(device) ?? 0) > Date.now() || endpoints.length === 0) return undefined
    if (this.count(device) + (this.#dialing.get(device) ?? 0) >= this.#limits.perDevice || this.#total >= this.#limits.total) return undefined
    // A burst of connections does not become a burst of handshakes: past a few at once, the
    // rest use the mesh connection.
    if ((this.#dialing.get(device) ?? 0) >= this.#limits.dialsPerDevice) return undefined
    this.#dialing.set(device, (this.#dialing.get(device) ?? 0) + 1)
    try {
      // Made once (a certificate is generated), outside the dial's time budget.
      const secureContext = await this.o.secureContext()
      let pathBroken = true
      for (const endpoint of endpoints) {
        options.signal?.throwIfAborted()
        const budget = AbortSignal.timeout(this.#limits.handshakeTimeoutMs)
        try {
          const socket = await dialDirect({
            ...endpoint,
            expectedPeer: peerIdOf(device),
            protocol,
            secureContext,
            connectTimeoutMs: options.connectTimeoutMs ?? this.#limits.connectTimeoutMs,
            signal: options.signal === undefined ? budget : AbortSignal.any([budget, options.signal]),
            log: this.o.libp2pLog
          })
          socket.on('error', (err: Error) => { this.o.log.debug({ err: err.message }, 'direct connection error') })
          if (!this.#admit(device, socket)) {
            socket.destroy()
            return undefined
          }
          this.#unreachableUntil.delete(device)
          this.stats.opened++
          this.#count(protocol).opened++
          return socketMeshStream(socket, device, protocol)
        } catch (err) {
          this.stats.dialFailures++
          // A slow handshake (a loaded machine) or the caller giving up says nothing of the path.
          if (budget.aborted || options.signal?.aborted === true) pathBroken = false
          this.o.log.debug({ device, endpoint, err: (err as Error).message }, 'direct connection failed')
        }
      }
      if (pathBroken) this.#unreachableUntil.set(device, Date.now() + this.#limits.retryAfterMs)
      return undefined
    } finally {
      const left = (this.#dialing.get(device) ?? 1) - 1
      if (left === 0) this.#dialing.delete(device)
      else this.#dialing.set(device, left)
    }
  }

  /** Open direct connections with `device`. */
  count (device: DeviceId): number {
    return this.#open.get(device)?.size ?? 0
  }

  /** Closes every direct connection with `device` (it was disconnected or removed). */
  close (device: DeviceId): void {
    for (const socket of this.#open.get(device) ?? []) socket.destroy()
  }

  /** Closes all. */
  stop (): void {
    for (const device of [...this.#open.keys()]) this.close(device)
  }

  #admit (device: DeviceId, socket: TLSSocket): boolean {
    const sockets = this.#open.get(device) ?? new Set()
    if (sockets.size >= this.#limits.perDevice || this.#total >= this.#limits.total) return false
    sockets.add(socket)
    this.#open.set(device, sockets)
    this.#total++
    socket.once('close', () => {
      this.#total--
      sockets.delete(socket)
      if (sockets.size === 0 && this.#open.get(device) === sockets) this.#open.delete(device)
    })
    return true
  }
}

/**
 * What the net layer offers the layers above: open a stream to a device for a protocol,
 * handle incoming streams, connection events and path information. Nothing above this
 * layer knows libp2p; features run unchanged over the in-memory mesh in tests.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions, Startable } from '../core/lifecycle.js'
import type { Emitter } from '../core/emitter.js'

/** How a connection to a peer travels. */
export type PathKind = 'lan' | 'direct' | 'relay'

/** What the mesh knows of the link to one device. */
export interface PeerLink {
  deviceId: DeviceId
  online: boolean
  /** Path of the best open connection, when online. */
  path?: PathKind
  /** Remote addresses of open connections. */
  addresses: string[]
  /** Last measured round-trip time. */
  rttMs?: number
}

/** A bidirectional byte stream to one device for one protocol. */
export interface MeshStream extends AsyncIterable<Uint8Array> {
  readonly remote: DeviceId
  readonly protocol: string
  /** Writes bytes; resolves once the stream can take more (honours backpressure). */
  write: (data: Uint8Array, options?: AbortOptions) => Promise<void>
  /** Half-closes: no more writes, the remote sees the end of its reads. */
  closeWrite: (options?: AbortOptions) => Promise<void>
  /** Closes both directions abruptly. */
  abort: (err: Error) => void
}

/** Called for each incoming stream of a handled protocol. */
export type StreamHandler = (stream: MeshStream) => void | Promise<void>

/** Options of {@link Mesh.handle}. */
export interface HandleOptions {
  /** Concurrent incoming streams per connection for this protocol. */
  maxInboundStreams?: number
  /** Concurrent outgoing streams per connection for this protocol (libp2p's default is 64). */
  maxOutboundStreams?: number
}

/**
 * Decides which devices may hold a connection at all. The network layer implements it
 * (a lower layer declares the callback, the upper layer provides it).
 */
export interface ConnectionGate {
  /** False closes (or refuses) every connection with that device. */
  allowConnection: (device: DeviceId) => boolean
}

/** Events of the mesh. */
export interface MeshEvents extends Record<string, unknown> {
  'peer:connect': DeviceId
  'peer:disconnect': DeviceId
  /** A device was found with these addresses (LAN discovery, identify). */
  'peer:discovered': { deviceId: DeviceId, addresses: string[] }
}

/** The device's view of the network of devices it can talk to. */
export interface Mesh extends Startable {
  readonly deviceId: DeviceId
  readonly events: Emitter<MeshEvents>
  /** Addresses this device listens on, as others should dial them. */
  listenAddresses: () => string[]
  /** Registers the handler of a protocol. */
  handle: (protocol: string, handler: StreamHandler, options?: HandleOptions) => Promise<void>
  /** Opens a stream to `device`, connecting first if needed (via known or given addresses). */
  openStream: (device: DeviceId, protocol: string, options?: AbortOptions & { addresses?: string[] }) => Promise<MeshStream>
  /** Connects to `device` at any of `addresses` (or addresses already known). */
  connect: (device: DeviceId, addresses: string[], options?: AbortOptions) => Promise<void>
  /** Closes every connection with `device`. */
  disconnect: (device: DeviceId) => Promise<void>
  /** Link information for `device`. */
  link: (device: DeviceId) => PeerLink
  /** Addresses known for `device` (from identify, discovery or earlier connections). */
  knownAddresses: (device: DeviceId) => Promise<string[]>
  /** Measures the round trip to a connected device. */
  ping: (device: DeviceId, options?: AbortOptions) => Promise<number>
  /** Installs the gate consulted for every connection. */
  setGate: (gate: ConnectionGate) => void
}

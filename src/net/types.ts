/**
 * What the net layer offers the layers above: open a stream to a device for a protocol,
 * handle incoming streams, connection events and path information ({@link Mesh}), and apart
 * from it what only the doctor reads ({@link MeshDiagnostics}). Nothing above this layer
 * knows libp2p; features run unchanged over the in-memory mesh in tests, and one behaviour
 * suite (mesh-contract.ts) holds both meshes to the same contract.
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
  /** For a relayed path: the relay the connection runs through. */
  relay?: DeviceId
  /** The software the device announced when it connected (libp2p identify), e.g. `weft/0.1.0`. */
  agent?: string
}

/** A relay this device knows and its reservation there. */
export interface RelayStatus {
  deviceId: DeviceId
  /** Where we know it from: the configuration, or a member that serves as a relay. */
  source: 'config' | 'member'
  /** `reserved`: members can reach us through it; `refused`: it said no (see reason). */
  state: 'reserved' | 'connecting' | 'refused' | 'unreachable'
  reason?: string
  /** When the reservation expires (ms since the epoch). */
  expiresAt?: number
  /** Our circuit address through it. */
  address?: string
}

/** How this device's NAT maps ports, as two observers saw it. */
export type NatMapping =
  /** Not behind a NAT: observers see our own address. */
  | 'none'
  /** One public port for every destination (cone NAT): hole punching works. */
  | 'endpoint-independent'
  /** A different public port per destination (symmetric NAT): only relays reach us. */
  | 'endpoint-dependent'
  /** Fewer than two observers answered. */
  | 'unknown'

/** What `weft doctor` learns of this device's connectivity. */
export interface NetCheck {
  mapping: NatMapping
  /** Public addresses the observers saw (host:port). */
  observed: string[]
  /** Whether an observer reached our listener from outside: true, false, or null if none could try. */
  publiclyReachable: boolean | null
  /** The observers asked (host:port) and what went wrong with those that failed. */
  observers: Array<{ address: string, error?: string }>
}

/** Hole-punch counters since the daemon started. */
export interface PunchStats {
  attempts: number
  successes: number
  /** Time from start of the last successful punch to the direct connection (ms). */
  lastMs?: number
  lastError?: string
}

/** Direct connections ({@link Mesh.openDirect}) since the daemon started. */
export interface DirectStats {
  /** Opened by this device. */
  opened: number
  /** Accepted from members. */
  accepted: number
  /** Refused: a device the gate does not allow, over the limits, or a protocol not offered. */
  refused: number
  /** Dial attempts that failed (the caller used a muxed stream instead). */
  dialFailures: number
  /** Opened and accepted, per protocol (service reach and folder sync both use them). */
  byProtocol: Record<string, { opened: number, accepted: number }>
}

/** Options of {@link MeshStream.write}. */
export interface WriteOptions extends AbortOptions {
  /**
   * Called once the stream no longer holds `data` (it reached the kernel, or the stream
   * failed), so its buffer can be reused. Streams that cannot tell never call it.
   */
  onWritten?: () => void
}

/** A bidirectional byte stream to one device for one protocol. */
export interface MeshStream extends AsyncIterable<Uint8Array> {
  readonly remote: DeviceId
  readonly protocol: string
  /** Writes bytes; resolves once the stream can take more (honours backpressure). */
  write: (data: Uint8Array, options?: WriteOptions) => Promise<void>
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
  /** Also accept this protocol on direct connections ({@link Mesh.openDirect}). */
  direct?: boolean
}

/**
 * Decides which devices may hold a connection at all. The network layer implements it
 * (a lower layer declares the callback, the upper layer provides it).
 */
export interface ConnectionGate {
  /** False closes (or refuses) every connection with that device. */
  allowConnection: (device: DeviceId) => boolean
  /** True for devices that share one of our networks (a relay serves only these). */
  isFellow: (device: DeviceId) => boolean
  /** True when `a` and `b` are both members of one of our networks (a relay joins only these). */
  shareNetwork: (a: DeviceId, b: DeviceId) => boolean
}

/** Events of the mesh. */
export interface MeshEvents extends Record<string, unknown> {
  'peer:connect': DeviceId
  'peer:disconnect': DeviceId
  /** A device was found with these addresses (LAN discovery, identify). */
  'peer:discovered': { deviceId: DeviceId, addresses: string[] }
  /** A better path to a connected device opened (e.g. a hole punch replaced a relay). */
  'peer:path': { deviceId: DeviceId, path: PathKind }
  /** This device's own announced addresses changed (relay reservations, new interfaces). */
  'self:addresses': string[]
}

/** The device's view of the network of devices it can talk to. */
export interface Mesh extends Startable {
  readonly deviceId: DeviceId
  readonly events: Emitter<MeshEvents>
  /** Addresses this device listens on, as others should dial them. */
  listenAddresses: () => string[]
  /** Registers the handler of a protocol. */
  handle: (protocol: string, handler: StreamHandler, options?: HandleOptions) => Promise<void>
  /** Removes the handler of a protocol: new streams for it are refused; open ones go on. */
  unhandle: (protocol: string) => Promise<void>
  /** Opens a stream to `device`, connecting first if needed (via known or given addresses). */
  openStream: (device: DeviceId, protocol: string, options?: AbortOptions & { addresses?: string[] }) => Promise<MeshStream>
  /**
   * Opens a stream on a connection of its own (TCP and TLS, no multiplexer) when `device` is
   * connected over a LAN or direct path and answers there; undefined otherwise, and the
   * caller uses {@link Mesh.openStream}. For bulk byte streams; the handler must have been
   * registered with `direct: true`.
   */
  openDirect: (device: DeviceId, protocol: string, options?: AbortOptions) => Promise<MeshStream | undefined>
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
  /** The gate's answers may have changed (membership did): retry what it made fail, e.g. relay reservations. */
  gateChanged: () => void
  /** The DHT network discovery publishes to and looks up in, when this device takes part in one. */
  readonly dht?: RecordStore
}

/**
 * What only `weft doctor` asks of the mesh: relays, the NAT check, punch and direct counters
 * and the DHT's health. Kept apart from {@link Mesh} so features (and the in-memory mesh)
 * never see it; the composition root hands the mesh to the doctor under both names.
 */
export interface MeshDiagnostics {
  /** Relays this device knows and its reservations on them. */
  relays: () => RelayStatus[]
  /** Asks observers (relays) how our NAT maps ports and whether we are reachable from outside. */
  netCheck: (options?: AbortOptions) => Promise<NetCheck>
  /** Hole-punch counters. */
  punchStats: () => PunchStats
  /** Direct-connection counters. */
  directStats: () => DirectStats
  /** Routing-table size and the last operations of the DHT; undefined when this device takes no part in one. */
  dhtHealth: () => DhtHealth | undefined
}

/** The DHT's routing-table size and the outcome of its last operations. */
export interface DhtHealth {
  peers: number
  lastPut?: { at: number, ok: boolean, error?: string }
  lastGet?: { at: number, ok: boolean, error?: string }
}

/** Self-certifying records in the DHT (see src/net/dht/records.ts). */
export interface RecordStore {
  /** Publishes `payload` under the key derived from `seed` (32 bytes), replacing older records of that key. */
  put: (seed: Uint8Array, payload: Uint8Array, options?: AbortOptions) => Promise<void>
  /** Finds the newest valid payload published under `seed`'s key, or undefined. */
  get: (seed: Uint8Array, options?: AbortOptions) => Promise<Uint8Array | undefined>
  /** Routing-table size and the outcome of the last operations. */
  health: () => DhtHealth
}

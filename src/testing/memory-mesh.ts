/**
 * An in-memory {@link Mesh} for unit tests, in the style of js-libp2p's memory transport and
 * automerge-repo's DummyNetworkAdapter: a {@link MemoryHub} stands for the network, meshes
 * register on it by device ID when they start, and connections and streams are plain
 * objects in this process (see memory-stream.ts). Both sides' connection gates are consulted
 * on every new connection, events fire on both sides, and the hub can cut the link between
 * two devices to simulate a partition. The hub routes by device ID: addresses are
 * informational (`/memory/<first group of the device ID>`) and every started mesh is
 * reachable unless partitioned. No libp2p here.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { Emitter } from '../core/emitter.js'
import { WeftError } from '../core/errors.js'
import type { ConnectionGate, HandleOptions, Mesh, MeshEvents, MeshStream, PeerLink, StreamHandler } from '../net/types.js'
import { createStreamPair } from './memory-stream.js'
import type { MemoryStream } from './memory-stream.js'

/** The address a memory mesh listens on: `/memory/` and the first group of the device ID. */
export function memoryAddress (device: DeviceId): string {
  return `/memory/${device.slice(0, 7)}`
}

/** Options of {@link MemoryHub}. */
export interface MemoryHubOptions {
  /** Round-trip time `ping` reports (default 1 ms). */
  rttMs?: number
}

function pairKey (a: DeviceId, b: DeviceId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}

/** The "network" memory meshes live on: a registry of started meshes and of cut links. */
export class MemoryHub {
  /** What `ping` reports. */
  readonly rttMs: number
  readonly #meshes = new Map<DeviceId, MemoryMesh>()
  readonly #cuts = new Set<string>()

  constructor (options: MemoryHubOptions = {}) {
    this.rttMs = options.rttMs ?? 1
  }

  /** Creates a mesh for `device` on this hub (it registers when started). */
  createMesh (device: DeviceId): MemoryMesh {
    return new MemoryMesh(this, device)
  }

  /** The started mesh of `device`, if any. */
  lookup (device: DeviceId): MemoryMesh | undefined {
    return this.#meshes.get(device)
  }

  /** Called by a mesh when it starts; a device can be started only once at a time. */
  register (mesh: MemoryMesh): void {
    const existing = this.#meshes.get(mesh.deviceId)
    if (existing !== undefined && existing !== mesh) throw new WeftError('ALREADY_EXISTS', `a mesh for ${mesh.deviceId} is already running on this hub`)
    this.#meshes.set(mesh.deviceId, mesh)
  }

  /** Called by a mesh when it stops. */
  unregister (mesh: MemoryMesh): void {
    if (this.#meshes.get(mesh.deviceId) === mesh) this.#meshes.delete(mesh.deviceId)
  }

  /** Cuts the link between `a` and `b`: closes their connection and refuses new ones until {@link heal}. */
  partition (a: DeviceId, b: DeviceId): void {
    this.#cuts.add(pairKey(a, b))
    void this.#meshes.get(a)?.disconnect(b)
    void this.#meshes.get(b)?.disconnect(a)
  }

  /** Restores a link cut by {@link partition}. */
  heal (a: DeviceId, b: DeviceId): void {
    this.#cuts.delete(pairKey(a, b))
  }

  /** True when the link between `a` and `b` is cut. */
  isCut (a: DeviceId, b: DeviceId): boolean {
    return this.#cuts.has(pairKey(a, b))
  }
}

interface Registration {
  handler: StreamHandler
  maxInboundStreams: number
}

/** One connection between two meshes, shared by both. */
interface Connection {
  readonly ends: readonly [MemoryMesh, MemoryMesh]
  open: boolean
  /** Dialer ends of the streams still open. */
  readonly streams: Set<MemoryStream>
  /** Open inbound streams per `<listener>|<protocol>`. */
  readonly inbound: Map<string, number>
}

/** A {@link Mesh} on a {@link MemoryHub}. */
export class MemoryMesh implements Mesh {
  readonly events = new Emitter<MeshEvents>()
  readonly deviceId: DeviceId
  readonly #hub: MemoryHub
  readonly #handlers = new Map<string, Registration>()
  readonly #connections = new Map<DeviceId, Connection>()
  readonly #rtt = new Map<DeviceId, number>()
  #gate: ConnectionGate = { allowConnection: () => true, isFellow: () => false, shareNetwork: () => false }
  #started = false

  constructor (hub: MemoryHub, deviceId: DeviceId) {
    this.#hub = hub
    this.deviceId = deviceId
  }

  /** True between start and stop. */
  get started (): boolean {
    return this.#started
  }

  setGate (gate: ConnectionGate): void {
    this.#gate = gate
  }

  /** Nothing to retry in memory. */
  gateChanged (): void {}

  async start (): Promise<void> {
    this.#hub.register(this)
    this.#started = true
    await Promise.resolve()
  }

  /** Closes every connection and leaves the hub. */
  async stop (): Promise<void> {
    this.#started = false
    for (const connection of [...this.#connections.values()]) MemoryMesh.#close(connection)
    this.#hub.unregister(this)
    await Promise.resolve()
  }

  listenAddresses (): string[] {
    return this.#started ? [memoryAddress(this.deviceId)] : []
  }

  /** The in-memory mesh has no direct connections: callers use {@link openStream}. */
  async openDirect (): Promise<MeshStream | undefined> {
    return await Promise.resolve(undefined)
  }

  async handle (protocol: string, handler: StreamHandler, options: HandleOptions = {}): Promise<void> {
    this.#handlers.set(protocol, { handler, maxInboundStreams: options.maxInboundStreams ?? 32 })
    await Promise.resolve()
  }

  async unhandle (protocol: string): Promise<void> {
    this.#handlers.delete(protocol)
    await Promise.resolve()
  }

  async connect (device: DeviceId, _addresses: string[], options: AbortOptions = {}): Promise<void> {
    await this.#dial(device, options)
  }

  async openStream (device: DeviceId, protocol: string, options: AbortOptions & { addresses?: string[] } = {}): Promise<MeshStream> {
    const connection = await this.#dial(device, options)
    const remote = MemoryMesh.#other(connection, this)
    const registration = remote.#handlers.get(protocol)
    if (registration === undefined) throw new WeftError('PEER_UNREACHABLE', `cannot open ${protocol} to ${device}: protocol not supported`)
    const slot = `${device}|${protocol}`
    const count = connection.inbound.get(slot) ?? 0
    if (count >= registration.maxInboundStreams) throw new WeftError('PEER_UNREACHABLE', `cannot open ${protocol} to ${device}: too many inbound streams`)
    connection.inbound.set(slot, count + 1)
    let released = false
    const [local, far] = createStreamPair(this.deviceId, device, protocol, () => {
      if (released) return
      released = true
      connection.streams.delete(local)
      const left = (connection.inbound.get(slot) ?? 1) - 1
      if (left > 0) connection.inbound.set(slot, left)
      else connection.inbound.delete(slot)
    })
    connection.streams.add(local)
    // The handler runs on a later tick, as an incoming stream would arrive.
    void Promise.resolve().then(async () => { await registration.handler(far) }).catch((err: unknown) => {
      far.abort(err instanceof Error ? err : new Error(String(err)))
    })
    return local
  }

  async disconnect (device: DeviceId): Promise<void> {
    const connection = this.#connections.get(device)
    if (connection !== undefined) MemoryMesh.#close(connection)
    await Promise.resolve()
  }

  link (device: DeviceId): PeerLink {
    const online = this.#connections.get(device)?.open === true
    return online
      ? { deviceId: device, online, path: 'lan', addresses: [memoryAddress(device)], rttMs: this.#rtt.get(device) ?? this.#hub.rttMs }
      : { deviceId: device, online, addresses: [] }
  }

  async knownAddresses (device: DeviceId): Promise<string[]> {
    await Promise.resolve()
    return [memoryAddress(device)]
  }

  async ping (device: DeviceId, options: AbortOptions = {}): Promise<number> {
    options.signal?.throwIfAborted()
    await Promise.resolve()
    if (this.#connections.get(device)?.open !== true) throw new WeftError('PEER_UNREACHABLE', `ping to ${device} failed: not connected`)
    this.#rtt.set(device, this.#hub.rttMs)
    return this.#hub.rttMs
  }

  /** Returns the open connection with `device`, creating it if both gates and the hub allow. */
  async #dial (device: DeviceId, options: AbortOptions): Promise<Connection> {
    options.signal?.throwIfAborted()
    await Promise.resolve()
    if (!this.#started) throw new WeftError('INTERNAL', 'mesh not started')
    const existing = this.#connections.get(device)
    if (existing?.open === true) return existing
    const remote = this.#hub.lookup(device)
    if (device === this.deviceId || remote === undefined || !remote.#started || this.#hub.isCut(this.deviceId, device)) {
      throw new WeftError('PEER_UNREACHABLE', `cannot reach ${device}: no route`)
    }
    if (!this.#gate.allowConnection(device) || !remote.#gate.allowConnection(this.deviceId)) {
      throw new WeftError('PEER_UNREACHABLE', `cannot reach ${device}: connection refused by a gate`)
    }
    const connection: Connection = { ends: [this, remote], open: true, streams: new Set(), inbound: new Map() }
    this.#connections.set(device, connection)
    remote.#connections.set(this.deviceId, connection)
    this.#emit('peer:connect', device)
    remote.#emit('peer:connect', this.deviceId)
    return connection
  }

  /** Emits on a later microtask, in order, so listeners never run inside a mesh call. */
  #emit (event: 'peer:connect' | 'peer:disconnect', device: DeviceId): void {
    queueMicrotask(() => { this.events.emit(event, device) })
  }

  static #other (connection: Connection, mesh: MemoryMesh): MemoryMesh {
    return connection.ends[0] === mesh ? connection.ends[1] : connection.ends[0]
  }

  static #close (connection: Connection): void {
    if (!connection.open) return
    connection.open = false
    for (const stream of [...connection.streams]) stream.reset(new WeftError('PEER_UNREACHABLE', 'the connection to the member closed'))
    const [a, b] = connection.ends
    if (a.#connections.get(b.deviceId) === connection) a.#connections.delete(b.deviceId)
    if (b.#connections.get(a.deviceId) === connection) b.#connections.delete(a.deviceId)
    a.#rtt.delete(b.deviceId)
    b.#rtt.delete(a.deviceId)
    a.#emit('peer:disconnect', b.deviceId)
    b.#emit('peer:disconnect', a.deviceId)
  }
}

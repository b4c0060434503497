/**
 * The Syncthing side of folder sync: this device's Syncthing identity (certificate), the
 * Syncthing devices it knows (syncthing.json), and their connections (listener and dialer).
 * The sync service turns each authenticated connection into a BEP link and an exchange.
 */
import { join } from 'node:path'
import type { DeviceId } from '../../../core/ids.js'
import type { Logger } from '../../../core/log.js'
import type { Startable } from '../../../core/lifecycle.js'
import { WeftError } from '../../../core/errors.js'
import { parseDeviceId } from '../../../identity/device-id.js'
import { loadOrCreateSyncthingIdentity } from '../../../identity/syncthing-cert.js'
import type { SyncthingIdentity } from '../../../identity/syncthing-cert.js'
import type { BepDeviceId } from '../types.js'
import { SyncthingConnections } from './connections.js'
import type { PendingDevice, SyncthingConnection } from './connections.js'
import { SyncthingDeviceStore, parseBepAddress } from './devices.js'
import type { BepAddress, SyncthingDeviceConfig } from './devices.js'
import type { BufferPool } from '../wire/buffer-pool.js'

/** Options of {@link SyncthingPeers}. */
export interface SyncthingPeersOptions {
  home: string
  deviceName: string
  version: string
  /** Where to listen for Syncthing devices, or null (default: weft only dials out). */
  listen: BepAddress | null
  logger: Logger
  /** Whether a live link with the device exists. */
  connected: (device: DeviceId) => boolean
  /** Takes over an authenticated connection. */
  attach: (connection: SyncthingConnection) => void
  /** A device was removed: its link must close. */
  onRemoved: (device: DeviceId) => void
  /** Buffers for received blocks (see BufferPool). */
  pool?: BufferPool
}

/** What `weft syncthing add` asks for. */
export interface AddSyncthingDeviceRequest {
  id: string
  /** `tcp://HOST:PORT` or `dynamic`. */
  address: string
  name?: string
}

/** The BEP device ID (hex) of a Syncthing device ID. */
export function bepIdOfSyncthing (device: DeviceId): BepDeviceId {
  return Buffer.from(parseDeviceId(device).publicKey).toString('hex') as BepDeviceId
}

/** Identity, devices and connections towards Syncthing. */
export class SyncthingPeers implements Startable {
  readonly #o: SyncthingPeersOptions
  readonly #store: SyncthingDeviceStore
  #devices: SyncthingDeviceConfig[] = []
  #identity?: SyncthingIdentity
  #connections?: SyncthingConnections

  constructor (options: SyncthingPeersOptions) {
    this.#o = options
    this.#store = new SyncthingDeviceStore(join(options.home, 'syncthing.json'))
  }

  /** This device's Syncthing identity (after start). */
  get identity (): SyncthingIdentity {
    if (this.#identity === undefined) throw new WeftError('INTERNAL', 'Syncthing peers not started')
    return this.#identity
  }

  /** Our BEP device ID towards Syncthing devices (SHA-256 of our certificate, hex). */
  get selfBepId (): BepDeviceId {
    return bepIdOfSyncthing(this.identity.deviceId)
  }

  /** Where the BEP listener is bound, if it is on. */
  get listenAddress (): string | undefined {
    return this.#connections?.listenAddress
  }

  async start (): Promise<void> {
    this.#devices = await this.#store.load()
    this.#identity = await loadOrCreateSyncthingIdentity(this.#o.home)
    const connections = new SyncthingConnections({
      identity: this.#identity,
      listen: this.#o.listen,
      deviceName: this.#o.deviceName,
      version: this.#o.version,
      devices: () => this.#devices,
      connected: this.#o.connected,
      onConnection: this.#o.attach,
      logger: this.#o.logger,
      pool: this.#o.pool
    })
    await connections.start()
    this.#connections = connections
  }

  async stop (): Promise<void> {
    await this.#connections?.stop()
    this.#connections = undefined
  }

  /** Known devices. */
  devices (): readonly SyncthingDeviceConfig[] {
    return this.#devices
  }

  /** The configured device with this ID, if any. */
  device (id: DeviceId): SyncthingDeviceConfig | undefined {
    return this.#devices.find((d) => d.id === id)
  }

  /** Devices that called and were refused as unknown. */
  pending (): PendingDevice[] {
    return this.#connections?.pending() ?? []
  }

  /** Adds a device, or replaces the address and name of a known one; dials it at once. */
  async add (request: AddSyncthingDeviceRequest): Promise<SyncthingDeviceConfig> {
    const id = parseDeviceId(request.id).deviceId
    if (id === this.#identity?.deviceId) throw new WeftError('INVALID_ARGUMENT', 'that is this device\'s own Syncthing ID')
    parseBepAddress(request.address)
    const device: SyncthingDeviceConfig = { id, name: request.name ?? this.device(id)?.name ?? id.slice(0, 7), addresses: [request.address] }
    const next = [...this.#devices.filter((d) => d.id !== id), device]
    await this.#store.save(next)
    this.#devices = next
    this.#connections?.dialNow(id)
    return device
  }

  /** Forgets a device and drops its connection. */
  async remove (text: string): Promise<void> {
    const id = parseDeviceId(text).deviceId
    if (this.device(id) === undefined) throw new WeftError('NOT_FOUND', `no Syncthing device ${id} (see weft syncthing ls)`)
    const next = this.#devices.filter((d) => d.id !== id)
    await this.#store.save(next)
    this.#devices = next
    this.#o.onRemoved(id)
  }

  /** A link ended after `livedMs`: redial soon, or after the device's backoff. */
  noteDisconnected (device: DeviceId, livedMs: number): void {
    this.#connections?.noteDisconnected(device, livedMs)
  }
}

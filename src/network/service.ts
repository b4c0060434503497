/**
 * The private-networks component: holds this device's network records, computes membership,
 * decides who may connect (it is the mesh's connection gate), and runs the invite and
 * membership protocols through the modules beside it. Every change is written atomically
 * before it is announced.
 */
import { randomBytes } from 'node:crypto'
import type { DeviceId, NetworkId } from '../core/ids.js'
import type { Logger } from '../core/log.js'
import type { AbortOptions, Startable } from '../core/lifecycle.js'
import { Emitter } from '../core/emitter.js'
import type { NetworkEvents, Networks } from './networks.js'
import { WeftError } from '../core/errors.js'
import type { DeviceKey } from '../identity/device-key.js'
import { parseDeviceId } from '../identity/device-id.js'
import type { ConnectionGate, Mesh } from '../net/types.js'
import { computeMembership, createGenesis, createRemove } from './membership.js'
import type { MembershipState, NetworkRecord, SignedEntry } from './types.js'
import type { NetworkStore } from './store.js'
import type { InviteView, MemberView, NetworkSummary } from './views.js'
import { MembershipReplicator } from './replication.js'
import { InviteDesk } from './invites.js'
import type { InviteRequest } from './invites.js'
import { Connector } from './connector.js'
import { DhtDiscovery } from './discovery.js'

export type { NetworkEvents } from './networks.js'

/** Options of {@link NetworkService}. */
export interface NetworkServiceOptions {
  key: DeviceKey
  deviceName: string
  mesh: Mesh
  store: NetworkStore
  logger: Logger
  /** Reconnect backoff bounds (ms). */
  reconnect?: { initialMs: number, maxMs: number }
  /** This device's weft version, shown for it among members. */
  version?: string
}

/** Private networks of this device. */
export class NetworkService implements Startable, ConnectionGate, Networks {
  readonly events = new Emitter<NetworkEvents>()
  readonly key: DeviceKey
  readonly deviceName: string
  readonly mesh: Mesh
  readonly log: Logger
  readonly #store: NetworkStore
  readonly #records = new Map<NetworkId, NetworkRecord>()
  readonly #states = new Map<NetworkId, MembershipState>()
  readonly #lastSeen = new Map<DeviceId, number>()
  /** Fellow members with an open connection, as announced by `member:online`. */
  readonly #onlineFellows = new Set<DeviceId>()
  readonly #replicator: MembershipReplicator
  readonly #invites: InviteDesk
  readonly #connector: Connector
  readonly #discovery: DhtDiscovery
  #addressTimer?: NodeJS.Timeout
  readonly #unsubscribe: Array<() => void> = []
  #queue: Promise<unknown> = Promise.resolve()

  readonly #version: string | null

  constructor (options: NetworkServiceOptions) {
    this.key = options.key
    this.deviceName = options.deviceName
    this.mesh = options.mesh
    this.log = options.logger
    this.#store = options.store
    this.#version = options.version ?? null
    this.#replicator = new MembershipReplicator(this)
    this.#invites = new InviteDesk(this)
    this.#discovery = new DhtDiscovery(this)
    this.#connector = new Connector(this, options.reconnect ?? { initialMs: 1000, maxMs: 30_000 }, this.#discovery)
  }

  /** Loads records; must run before the mesh starts (the mesh consults the gate). */
  async load (): Promise<void> {
    for (const record of await this.#store.loadAll()) {
      const state = computeMembership(record.id, record.entries)
      if (state === undefined) {
        this.log.warn({ network: record.id }, 'network file has no valid genesis entry; ignoring it')
        continue
      }
      this.#records.set(record.id, record)
      this.#states.set(record.id, state)
    }
  }

  async start (): Promise<void> {
    await this.#replicator.start()
    await this.#invites.start()
    this.#unsubscribe.push(
      this.mesh.events.on('peer:connect', (device) => { this.#onConnect(device) }),
      this.mesh.events.on('peer:disconnect', (device) => { this.#onDisconnect(device) }),
      this.mesh.events.on('self:addresses', () => { this.#onOwnAddresses() })
    )
    this.#connector.start()
    this.#discovery.start()
  }

  async stop (): Promise<void> {
    this.#discovery.stop()
    clearTimeout(this.#addressTimer)
    this.#connector.stop()
    for (const off of this.#unsubscribe.splice(0)) off()
    await this.#queue.catch(() => {})
  }

  // ---- gate and membership queries -------------------------------------------------------

  /** Networks this device is an active member of. */
  activeNetworks (): NetworkRecord[] {
    return [...this.#records.values()].filter((r) => r.removedAt === undefined)
  }

  /** Computed membership of a network. */
  state (id: NetworkId): MembershipState | undefined {
    return this.#states.get(id)
  }

  /** Record of a network. */
  record (id: NetworkId): NetworkRecord | undefined {
    return this.#records.get(id)
  }

  /** True when `device` is a member of the active network `id` (as this device sees it). */
  isMember (id: NetworkId, device: DeviceId): boolean {
    const record = this.#records.get(id)
    return record !== undefined && record.removedAt === undefined && this.#states.get(id)?.members.has(device) === true
  }

  /** Every other device that shares an active network with this one. */
  fellowDevices (): Set<DeviceId> {
    const out = new Set<DeviceId>()
    for (const record of this.activeNetworks()) {
      for (const device of this.#states.get(record.id)?.members.keys() ?? []) {
        if (device !== this.key.deviceId) out.add(device)
      }
    }
    return out
  }

  /** The fellows with a live connection now. */
  onlineFellows (): Set<DeviceId> {
    return new Set([...this.fellowDevices()].filter((device) => this.mesh.link(device).online))
  }

  /** This device. */
  get deviceId (): DeviceId {
    return this.key.deviceId
  }

  /** Gate: true for devices sharing an active network with us. */
  isFellow (device: DeviceId): boolean {
    return device !== this.key.deviceId && this.activeNetworks().some((r) => this.#states.get(r.id)?.members.has(device) === true)
  }

  /** Gate: true when `a` and `b` are both members of one of our active networks. */
  shareNetwork (a: DeviceId, b: DeviceId): boolean {
    return this.activeNetworks().some((r) => {
      const members = this.#states.get(r.id)?.members
      return members?.has(a) === true && members.has(b)
    })
  }

  /**
   * Connection gate: strangers may connect (to redeem an invite; nothing else serves them), and
   * so may fellow members. A device removed from one of our networks that shares no other with
   * us is refused, unless this device has an invite outstanding in that network: the way back
   * in is a fresh invite from an admin, redeemed with that admin.
   */
  allowConnection (device: DeviceId): boolean {
    if (this.fellowDevices().has(device)) return true
    const now = Date.now()
    const removedFrom = this.activeNetworks().filter((r) => this.#states.get(r.id)?.removed.has(device) === true)
    return removedFrom.every((r) => r.invites.some((i) => i.usesLeft > 0 && i.expiresAt * 1000 > now))
  }

  // ---- mutation --------------------------------------------------------------------------

  /** Runs `task` after every earlier mutation finished (one writer at a time). */
  async serialize<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task)
    this.#queue = run.catch(() => {})
    return await run
  }

  /**
   * Stores a new or changed record, recomputes membership, announces the change and drops
   * connections that are no longer allowed. Returns the new state.
   */
  async commit (record: NetworkRecord, options: { enforceGate?: boolean } = {}): Promise<MembershipState> {
    const state = computeMembership(record.id, record.entries)
    if (state === undefined) throw new WeftError('INTERNAL', `network ${record.id} lost its genesis entry`)
    const wasMember = this.#states.get(record.id)?.members.has(this.key.deviceId) ?? true
    if (wasMember && !state.members.has(this.key.deviceId) && record.removedAt === undefined) {
      record.removedAt = Date.now()
      this.log.warn({ network: record.id }, 'this device was removed from the network')
    }
    await this.#store.save(record)
    this.#records.set(record.id, record)
    this.#states.set(record.id, state)
    this.events.emit('network:changed', { networkId: record.id })
    if (record.removedAt !== undefined) this.events.emit('network:removed', { networkId: record.id })
    if (options.enforceGate !== false) this.enforceGate()
    this.mesh.gateChanged()
    // A device admitted while already connected (it redeemed an invite) is online from now on.
    for (const device of this.fellowDevices()) {
      if (!this.#onlineFellows.has(device) && this.mesh.link(device).online) this.#markOnline(device)
    }
    this.#connector.poke()
    return state
  }

  /** Closes connections with devices the gate no longer allows. */
  enforceGate (): void {
    for (const record of this.#records.values()) {
      for (const device of this.#states.get(record.id)?.removed ?? []) {
        if (!this.allowConnection(device) && this.mesh.link(device).online) {
          this.log.info({ device }, 'closing connection to a removed device')
          void this.mesh.disconnect(device).catch(() => {})
        }
      }
    }
  }

  /** Resolves a network by ID, unique ID prefix (4+ characters) or name. */
  resolve (ref: string): NetworkRecord {
    const exact = this.#records.get(ref as NetworkId)
    if (exact !== undefined) return exact
    const records = [...this.#records.values()]
    const byName = records.filter((r) => this.#states.get(r.id)?.networkName === ref)
    const matches = byName.length > 0 ? byName : ref.length >= 4 ? records.filter((r) => r.id.startsWith(ref.toLowerCase())) : []
    if (matches.length === 1 && matches[0] !== undefined) return matches[0]
    if (matches.length > 1) throw new WeftError('INVALID_ARGUMENT', `"${ref}" matches several networks (${matches.map((r) => r.id).join(', ')}); use the network ID`)
    throw new WeftError('NOT_FOUND', `no network "${ref}" (see "weft net ls")`)
  }

  #requireActive (ref: string): { record: NetworkRecord, state: MembershipState } {
    const record = this.resolve(ref)
    const state = this.#states.get(record.id)
    if (state === undefined || record.removedAt !== undefined) throw new WeftError('NOT_MEMBER', `this device was removed from network "${ref}"`)
    return { record, state }
  }

  /** Creates a network with this device as its first admin. */
  async create (name: string): Promise<NetworkSummary> {
    return await this.serialize(async () => {
      if ([...this.#states.values()].some((s) => s.networkName === name)) throw new WeftError('ALREADY_EXISTS', `a network named "${name}" already exists on this device`)
      const { networkId, entry } = createGenesis(this.key, this.deviceName, name, randomBytes(16).toString('hex'))
      await this.commit({ id: networkId, secret: randomBytes(32).toString('hex'), entries: [entry], invites: [], addresses: {} })
      this.log.info({ network: networkId, name }, 'network created')
      return this.summary(networkId)
    })
  }

  /** Issues an invite code. */
  async invite (ref: string, request: InviteRequest): Promise<InviteView> {
    const { record, state } = this.#requireActive(ref)
    if (state.members.get(this.key.deviceId)?.role !== 'admin') throw new WeftError('NOT_ADMIN', `only admins of "${state.networkName}" can invite; ask one of them`)
    return await this.#invites.issue(record, state, request)
  }

  /** Joins a network with an invite code. */
  async join (code: string, options: AbortOptions = {}): Promise<NetworkSummary> {
    const networkId = await this.#invites.redeem(code, options)
    return this.summary(networkId)
  }

  /** Pushes a network's state to its online members (and to `extra` devices). */
  async announce (id: NetworkId, extra: DeviceId[] = []): Promise<void> {
    await this.#replicator.pushToAll(id, extra)
  }

  /** Saves a record learned at join and syncs with the members. */
  async adopt (record: NetworkRecord): Promise<void> {
    await this.serialize(async () => { await this.commit(record) })
    await this.#replicator.pushToAll(record.id)
  }

  /** Removes a member (admins only); the removal reaches every member, the removed device included. */
  async remove (ref: string, deviceRef: string): Promise<void> {
    const { record, device } = await this.serialize(async () => {
      const { record, state } = this.#requireActive(ref)
      if (state.members.get(this.key.deviceId)?.role !== 'admin') throw new WeftError('NOT_ADMIN', `only admins of "${state.networkName}" can remove members`)
      const device = this.#resolveMember(state, deviceRef)
      if (device === this.key.deviceId) throw new WeftError('INVALID_ARGUMENT', 'to remove this device, use "weft net leave"')
      const entry = createRemove(this.key, state, record.entries, device)
      // Keep the connection until the removed device has heard of its removal.
      await this.commit({ ...record, entries: [...record.entries, entry] }, { enforceGate: false })
      return { record, device }
    })
    await this.#replicator.pushToAll(record.id, [device])
    this.enforceGate()
  }

  /** Leaves a network: tells the members, then forgets it. */
  async leave (ref: string): Promise<void> {
    const { id } = this.resolve(ref)
    const announced = await this.serialize(async () => {
      // Read again inside the queue: an invite admitted meanwhile must be in the removal's `keep`.
      const record = this.#records.get(id)
      const state = this.#states.get(id)
      if (record === undefined || state === undefined || record.removedAt !== undefined) return false
      const entry = createRemove(this.key, state, record.entries, this.key.deviceId)
      await this.commit({ ...record, entries: [...record.entries, entry] })
      return true
    })
    if (announced) await this.#replicator.pushToAll(id)
    const record = { id }
    await this.serialize(async () => {
      await this.#store.delete(record.id)
      this.#records.delete(record.id)
      this.#states.delete(record.id)
      this.events.emit('network:changed', { networkId: record.id })
      this.enforceGate()
    })
  }

  #resolveMember (state: MembershipState, ref: string): DeviceId {
    const byName = [...state.members.values()].find((m) => m.name === ref)
    if (byName !== undefined) return byName.deviceId
    const { deviceId } = parseDeviceId(ref)
    if (!state.members.has(deviceId)) throw new WeftError('NOT_FOUND', `${deviceId} is not a member of "${state.networkName}"`)
    return deviceId
  }

  /** Merges entries and addresses received from `from`; returns true if anything new arrived. */
  async absorb (id: NetworkId, entries: SignedEntry[], addresses: Record<string, string[]>, from: DeviceId): Promise<boolean> {
    return await this.serialize(async () => {
      const record = this.#records.get(id)
      if (record === undefined) return false
      const merged = this.#replicator.merge(record, entries, addresses, from)
      if (merged === undefined) return false
      await this.commit(merged.record)
      return merged.newEntries || merged.senderMoved
    })
  }

  // ---- views -----------------------------------------------------------------------------

  /** Summary of one network. */
  summary (id: NetworkId): NetworkSummary {
    const record = this.#records.get(id)
    const state = this.#states.get(id)
    if (record === undefined || state === undefined) throw new WeftError('NOT_FOUND', `no network ${id}`)
    const others = [...state.members.keys()].filter((d) => d !== this.key.deviceId)
    return {
      id,
      name: state.networkName,
      role: record.removedAt !== undefined ? 'removed' : state.members.get(this.key.deviceId)?.role ?? 'member',
      members: state.members.size,
      online: others.filter((d) => this.mesh.link(d).online).length,
      creator: state.creator
    }
  }

  /** Every network of this device. */
  list (): NetworkSummary[] {
    return [...this.#records.keys()].map((id) => this.summary(id)).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Members of one network, this device included. */
  members (ref: string): MemberView[] {
    const record = this.resolve(ref)
    const state = this.#states.get(record.id)
    if (state === undefined) return []
    return [...state.members.values()].map((m) => this.#memberView(m.deviceId, m.name, m.role, [state.networkName])).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Every other member of every active network, once each. */
  peers (): MemberView[] {
    const byDevice = new Map<DeviceId, MemberView>()
    for (const record of this.activeNetworks()) {
      const state = this.#states.get(record.id)
      for (const m of state?.members.values() ?? []) {
        if (m.deviceId === this.key.deviceId) continue
        const existing = byDevice.get(m.deviceId)
        if (existing !== undefined) existing.networks.push(state?.networkName ?? record.id)
        else byDevice.set(m.deviceId, this.#memberView(m.deviceId, m.name, m.role, [state?.networkName ?? record.id]))
      }
    }
    return [...byDevice.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  #memberView (deviceId: DeviceId, name: string, role: MemberView['role'], networks: string[]): MemberView {
    const self = deviceId === this.key.deviceId
    const link = self ? undefined : this.mesh.link(deviceId)
    const known = [...this.activeNetworks()].flatMap((r) => r.addresses[deviceId] ?? [])
    return {
      deviceId,
      name,
      role,
      self,
      online: self || link?.online === true,
      path: link?.path ?? null,
      relay: link?.relay ?? null,
      addresses: self ? this.mesh.listenAddresses() : link?.online === true ? link.addresses : [...new Set(known)],
      rttMs: link?.rttMs ?? null,
      lastSeen: self ? Date.now() : link?.online === true ? Date.now() : this.#lastSeen.get(deviceId) ?? null,
      version: self ? this.#version : link?.agent === undefined ? null : link.agent.replace(/^weft\//, ''),
      networks
    }
  }

  // ---- connection events -----------------------------------------------------------------

  #onConnect (device: DeviceId): void {
    if (!this.allowConnection(device)) {
      void this.mesh.disconnect(device).catch(() => {})
      return
    }
    if (!this.fellowDevices().has(device)) return
    this.#markOnline(device)
    for (const record of this.activeNetworks()) {
      if (this.isMember(record.id, device)) void this.#replicator.push(record.id, device).catch((err: unknown) => { this.log.debug({ err, device }, 'sync after connect failed') })
    }
  }

  #markOnline (device: DeviceId): void {
    const link = this.mesh.link(device)
    this.log.info({ device, path: link.path, relay: link.relay }, 'member online')
    this.#onlineFellows.add(device)
    this.#lastSeen.set(device, Date.now())
    this.events.emit('member:online', { deviceId: device })
    this.#connector.onConnected(device)
  }

  /** Our addresses changed (a relay reservation, a new network): tell members, soon and once. */
  #onOwnAddresses (): void {
    this.#connector.networkChanged()
    clearTimeout(this.#addressTimer)
    this.#addressTimer = setTimeout(() => {
      for (const record of this.activeNetworks()) void this.#replicator.pushToAll(record.id).catch(() => {})
      this.#discovery.publishSoon()
    }, 500)
    this.#addressTimer.unref()
  }

  #onDisconnect (device: DeviceId): void {
    this.#onlineFellows.delete(device)
    if (!this.fellowDevices().has(device)) return
    this.#lastSeen.set(device, Date.now())
    this.events.emit('member:offline', { deviceId: device })
    this.#connector.poke()
  }
}

/**
 * The catalog component: for every network of this device, SWIM membership (gossip.ts over
 * transport.ts), the replicated map holding the KV store and each member's record of its
 * services and their health (store.ts, replica.ts), and this device's own registrations
 * and health checks. A change here (a write, a check flipping) is pushed at once to the
 * members gossip sees alive; anti-entropy every 15 s and whenever a member comes back
 * repairs whatever a push missed.
 */
import { join } from 'node:path'
import { Emitter } from '../../core/emitter.js'
import { WeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { Startable } from '../../core/lifecycle.js'
import type { Mesh } from '../../net/types.js'
import type { Networks } from '../../network/networks.js'
import { GossipGarbage, blockList } from './faults.js'
import type { CatalogFaults } from './faults.js'
import { NetworkGossip } from './gossip.js'
import type { GossipMemberView } from './gossip.js'
import { HealthMonitor } from './health.js'
import { HybridClock } from './hlc.js'
import { checkCas, checkKey, checkValue, kvView } from './kv.js'
import { Registrations } from './registrations.js'
import type { SourcedRegistration } from './registrations.js'
import { CatalogReplicator } from './replica.js'
import { ReplicaStore } from './store.js'
import type { Entry } from './store.js'
import { GossipTransport } from './transport.js'
import type { SwimParams } from './swim/types.js'
import { kvKeyPrefix, nodeKeyPrefix, registrationSchema } from './types.js'
import type { Health, InstanceView, KvView, NodeRecord, PublishedService, RegistrationInput, StoredRegistration } from './types.js'
import { instances } from './views.js'
import { dnsLabel } from '../reach/dns.js'
import type { DnsServiceInstance } from '../reach/dns.js'
import type { CatalogQuery, NetworkContext } from './views.js'

/** A service this device exposes through reach (listed in the catalog too). */
export interface ExposedEntry { name: string, port: number, host?: string, network: NetworkId, udp: boolean }

/**
 * The check every exposed TCP service gets: a connection to where it listens. Without it a
 * service exposed with nothing listening was published `passing`, and so answered in DNS.
 * (A UDP service cannot be told apart from silence; it stays passing.)
 */
function exposedChecks (exposed: readonly ExposedEntry[]): StoredRegistration[] {
  return exposed.filter((e) => !e.udp).map((e) => ({
    name: e.name,
    port: e.port,
    network: e.network,
    tags: [],
    meta: {},
    checks: [{ kind: 'tcp' as const, target: `${(e.host ?? '127.0.0.1').includes(':') ? `[${e.host ?? ''}]` : e.host ?? '127.0.0.1'}:${e.port}`, intervalMs: 10_000, timeoutMs: 2000 }]
  }))
}

/** Options of {@link CatalogService}. */
export interface CatalogOptions {
  home: string
  deviceName: string
  mesh: Mesh
  networks: Networks
  logger: Logger
  gossip?: Partial<SwimParams>
  /** Registrations from the config file. */
  configServices?: RegistrationInput[]
  /** Services exposed with `weft expose`. */
  exposed?: () => ExposedEntry[]
  /** Anti-entropy interval (ms). */
  antiEntropyMs?: number
  /** A member's stable loopback address (reach), for exposed services in DNS answers. */
  stableAddress?: (device: DeviceId) => string | undefined
  /** Test faults (faults.ts); none in use. */
  faults?: CatalogFaults
}

/** Events of the catalog. */
export interface CatalogEvents extends Record<string, unknown> {
  'catalog:changed': { network: NetworkId }
  'kv:changed': { network: NetworkId, key: string }
  'member:state': { network: NetworkId, deviceId: DeviceId, state: string }
}

/** A member in `weft members`. */
export interface MemberRow extends GossipMemberView { network: NetworkId, networkName: string, name: string, self: boolean }

/** Service discovery, health and KV for this device's networks. */
export class CatalogService implements Startable {
  readonly events = new Emitter<CatalogEvents>()
  readonly registrations: Registrations
  readonly #o: CatalogOptions
  #self: DeviceId
  #clock: HybridClock
  readonly #gossip = new Map<NetworkId, NetworkGossip>()
  readonly #health: HealthMonitor
  /** Checks of the services exposed with `weft expose`, apart from the registrations' own. */
  readonly #exposedHealth: HealthMonitor
  #exposedChecked = ''
  readonly #published = new Map<NetworkId, string>()
  readonly #off: Array<() => void> = []
  #store?: ReplicaStore
  #transport?: GossipTransport
  #replicator?: CatalogReplicator
  #garbage?: GossipGarbage
  #timers: NodeJS.Timeout[] = []
  #publishTimer?: NodeJS.Timeout
  #index = 0
  #waiters = new Set<() => void>()

  constructor (options: CatalogOptions) {
    this.#o = options
    // The mesh knows its device ID only once started; set again in start().
    this.#self = '' as DeviceId
    this.#clock = new HybridClock('')
    this.registrations = new Registrations(join(options.home, 'catalog.json'))
    this.#health = new HealthMonitor(() => { this.#schedulePublish() })
    this.#exposedHealth = new HealthMonitor(() => { this.#schedulePublish() })
  }

  get #db (): ReplicaStore {
    if (this.#store === undefined) throw new WeftError('INTERNAL', 'catalog not started')
    return this.#store
  }

  async start (): Promise<void> {
    this.#self = this.#o.mesh.deviceId
    this.#clock = new HybridClock(this.#self)
    this.#store = new ReplicaStore(join(this.#o.home, 'catalog.db'))
    this.#clock.observe(this.#store.newestStamp())
    this.#index = this.#store.seq
    await this.registrations.load()
    this.#loadConfigServices()
    const nets = this.#o.networks
    const faults = this.#o.faults ?? {}
    const blocked = faults.blockedPeersPath === undefined ? undefined : blockList(faults.blockedPeersPath)
    this.#transport = new GossipTransport({
      mesh: this.#o.mesh,
      log: this.#o.logger,
      accepts: (from, net) => net === null ? nets.fellowDevices().has(from) : nets.isMember(net, from),
      onPacket: (net, from, packet) => { this.#gossip.get(net)?.receive(from, packet) },
      blocked
    })
    this.#replicator = new CatalogReplicator({
      mesh: this.#o.mesh,
      store: this.#store,
      clock: this.#clock,
      log: this.#o.logger,
      isMember: (net, device) => nets.isMember(net, device),
      onMerged: (net, entries) => { this.#changed(net, entries) },
      blocked
    })
    await this.#transport.start()
    await this.#replicator.start()
    this.#off.push(
      nets.events.on('network:changed', () => { this.#reconcile() }),
      nets.events.on('network:removed', () => { this.#reconcile() }),
      this.#o.mesh.events.on('peer:connect', (device) => { this.#onConnect(device) })
    )
    this.#reconcile()
    this.#health.reconcile(this.registrations.list())
    const every = this.#o.antiEntropyMs ?? 15_000
    this.#timers.push(setInterval(() => { this.#antiEntropy() }, every).unref())
    // Exposed services have no change events; look for changes every 2 s.
    this.#timers.push(setInterval(() => { this.#publish() }, 2000).unref())
    if (faults.garbage === true) {
      this.#garbage = new GossipGarbage({ mesh: this.#o.mesh, log: this.#o.logger, targets: () => this.#liveMembers() })
      this.#garbage.start()
    }
  }

  async stop (): Promise<void> {
    for (const off of this.#off.splice(0)) off()
    for (const t of this.#timers.splice(0)) clearInterval(t)
    clearTimeout(this.#publishTimer)
    this.#garbage?.stop()
    this.#health.stop()
    this.#exposedHealth.stop()
    await Promise.all([...this.#gossip.values()].map(async (g) => { await g.leave(1500) }))
    this.#gossip.clear()
    await this.#transport?.stop()
    for (const wake of this.#waiters) wake()
    this.#store?.close()
    this.#store = undefined
  }

  // ---- members ---------------------------------------------------------------------------

  /** Gossip's view of the members of one network (or of every network). */
  members (netRef?: string): MemberRow[] {
    const ids = netRef === undefined ? [...this.#gossip.keys()] : [this.#network(netRef)]
    const out: MemberRow[] = []
    for (const id of ids) {
      const g = this.#gossip.get(id)
      if (g === undefined) continue
      const summary = this.#o.networks.summary(id)
      const names = new Map(this.#o.networks.members(id).map((m) => [m.deviceId, m.name]))
      for (const m of g.members()) out.push({ ...m, network: id, networkName: summary.name, name: names.get(m.deviceId) ?? m.deviceId.slice(0, 7), self: m.deviceId === this.#self })
    }
    return out.sort((a, b) => a.networkName.localeCompare(b.networkName) || a.name.localeCompare(b.name))
  }

  /** Counters for diagnostics (and tests of hostile input). */
  stats (): Record<string, unknown> {
    const perNetwork: Record<string, unknown> = {}
    for (const [id, g] of this.#gossip) perNetwork[id] = { ...g.stats, ...g.swim.stats, awareness: g.swim.awareness, incarnation: g.swim.incarnation }
    return { transport: this.#transport?.stats, replication: this.#replicator?.stats, networks: perNetwork }
  }

  // ---- catalog ---------------------------------------------------------------------------

  /** Registers (or replaces) a service of this device. */
  async register (input: RegistrationInput): Promise<SourcedRegistration> {
    const parsed = registrationSchema.safeParse(input)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      throw new WeftError('INVALID_ARGUMENT', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`)
    }
    const { network, ...rest } = parsed.data
    const r = { ...rest, network: this.#network(network) }
    await this.registrations.put(r)
    this.#health.reconcile(this.registrations.list())
    return { ...r, origin: 'api' }
  }

  /** Removes a registration of this device. */
  async deregister (name: string, netRef?: string): Promise<void> {
    await this.registrations.remove(name, netRef === undefined ? undefined : this.#network(netRef))
    this.#health.reconcile(this.registrations.list())
  }

  /** A TTL check-in for a service of this device. */
  checkIn (name: string, status: Health, note: string, netRef?: string): void {
    const matches = this.registrations.list().filter((r) => r.name === name && (netRef === undefined || r.network === this.#network(netRef)))
    if (matches.length === 0) throw new WeftError('NOT_FOUND', `no registered service named ${JSON.stringify(name)}`)
    const hit = matches.map((r) => this.#health.checkIn(r.network, r.name, status, note)).some((x) => x)
    if (!hit) throw new WeftError('INVALID_ARGUMENT', `service ${name} has no TTL check`)
  }

  /** Instances in the catalog of one network (or every network), filtered. */
  instances (q: CatalogQuery & { network?: string } = {}): InstanceView[] {
    const ids = q.network === undefined ? [...this.#gossip.keys()] : [this.#network(q.network)]
    // An exposed service of another member is reached through that member's stable address on
    // this machine (reach), not the address it listens on at home.
    return ids.flatMap((id) => instances(this.#db.list(id, nodeKeyPrefix), this.#context(id), q)).map((i) =>
      i.source === 'expose' && i.device !== this.#self ? { ...i, address: this.#o.stableAddress?.(i.device) ?? i.address } : i)
  }

  /** Instances as the DNS server answers `NAME.svc.NET.weft` (failing ones marked, so that DNS leaves them out). */
  dnsInstances (): DnsServiceInstance[] {
    if (this.#store === undefined) return []
    return this.instances().map((i) => ({
      service: i.name,
      network: dnsLabel(i.networkName),
      device: dnsLabel(i.deviceName),
      address: i.address,
      port: i.port,
      healthy: i.healthy,
      // Another member's exposed service is answered from reach (which knows whether it is exposed to this device).
      source: i.source === 'expose' && i.device !== this.#self ? 'expose' : i.source
    }))
  }

  // ---- KV --------------------------------------------------------------------------------

  kvGet (key: string, netRef?: string): KvView {
    checkKey(key)
    const e = this.#db.get(this.#network(netRef), kvKeyPrefix + key)
    const view = e === undefined ? undefined : kvView(e)
    if (view === undefined) throw new WeftError('NOT_FOUND', `no key ${JSON.stringify(key)}`)
    return view
  }

  kvList (prefix = '', netRef?: string): KvView[] {
    return this.#db.list(this.#network(netRef), kvKeyPrefix + prefix).map(kvView).filter((v): v is KvView => v !== undefined)
  }

  kvPut (key: string, value: Buffer, options: { cas?: string, network?: string } = {}): KvView {
    checkKey(key)
    checkValue(value)
    const net = this.#network(options.network)
    checkCas(this.#db.get(net, kvKeyPrefix + key), options.cas)
    const e = this.#write(net, kvKeyPrefix + key, value)
    return kvView(e) as KvView
  }

  kvDelete (key: string, options: { cas?: string, network?: string } = {}): void {
    checkKey(key)
    const net = this.#network(options.network)
    const cur = this.#db.get(net, kvKeyPrefix + key)
    if (options.cas === undefined && (cur === undefined || cur.value === null)) throw new WeftError('NOT_FOUND', `no key ${JSON.stringify(key)}`)
    checkCas(cur, options.cas)
    this.#write(net, kvKeyPrefix + key, null)
  }

  /** The change index (grows with every change to KV, catalog or member states). */
  get index (): number {
    return this.#index
  }

  /** Waits until the index passes `index`, `waitMs` passes or `signal` aborts; returns the index. */
  async waitForChange (index: number, waitMs: number, signal?: AbortSignal): Promise<number> {
    if (this.#index !== index) return this.#index
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); this.#waiters.delete(done); signal?.removeEventListener('abort', done); resolve() }
      const timer = setTimeout(done, waitMs)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
    return this.#index
  }

  // ---- internals -------------------------------------------------------------------------

  #network (ref: string | undefined): NetworkId {
    if (ref !== undefined) {
      const record = this.#o.networks.resolve(ref)
      if (record.removedAt !== undefined) throw new WeftError('NOT_MEMBER', `this device is no longer a member of ${ref}`)
      return record.id
    }
    const active = this.#o.networks.activeNetworks()
    if (active.length === 1 && active[0] !== undefined) return active[0].id
    throw new WeftError('INVALID_ARGUMENT', active.length === 0 ? 'this device is in no network: weft net create NAME or weft net join CODE' : 'this device is in several networks: say which with --net NAME')
  }

  #context (id: NetworkId): NetworkContext {
    const g = this.#gossip.get(id)
    return { id, name: this.#o.networks.summary(id).name, self: this.#self, isMember: (d) => this.#o.networks.isMember(id, d), stateOf: (d) => g?.stateOf(d) }
  }

  #bump (): void {
    this.#index++
    for (const wake of [...this.#waiters]) wake()
  }

  #changed (net: NetworkId, entries: Entry[]): void {
    this.#bump()
    for (const e of entries) {
      if (e.key.startsWith(kvKeyPrefix)) this.events.emit('kv:changed', { network: net, key: e.key.slice(kvKeyPrefix.length) })
      else this.events.emit('catalog:changed', { network: net })
    }
  }

  /** Writes locally, then pushes to every member gossip sees alive or suspect. */
  #write (net: NetworkId, key: string, value: Buffer | null): Entry {
    const entry: Entry = { key, value, stamp: this.#clock.now() }
    if (this.#db.merge(net, entry)) this.#changed(net, [entry])
    const g = this.#gossip.get(net)
    for (const m of g?.members() ?? []) {
      if (m.deviceId === this.#self || (m.state !== 'alive' && m.state !== 'suspect')) continue
      this.#replicator?.push(net, m.deviceId, [entry]).catch((err: unknown) => {
        this.#o.logger.debug({ to: m.deviceId, err: err instanceof Error ? err.message : String(err) }, 'catalog push failed (anti-entropy will repair)')
      })
    }
    return entry
  }

  #loadConfigServices (): void {
    const list = []
    for (const input of this.#o.configServices ?? []) {
      const { network, ...rest } = registrationSchema.parse(input)
      try {
        list.push({ ...rest, network: this.#network(network) })
      } catch (err) {
        this.#o.logger.warn({ service: rest.name, err: err instanceof Error ? err.message : String(err) }, 'config.json: catalog service skipped')
      }
    }
    this.registrations.setConfig(list)
  }

  /** One gossip instance per active network. */
  #reconcile (): void {
    const active = new Set(this.#o.networks.activeNetworks().map((r) => r.id))
    for (const [id, g] of this.#gossip) {
      if (active.has(id)) continue
      this.#gossip.delete(id)
      void g.leave(1500)
    }
    for (const id of active) {
      if (this.#gossip.has(id) || this.#transport === undefined) continue
      const g = new NetworkGossip({
        network: id,
        self: this.#self,
        members: () => new Set(this.#o.networks.state(id)?.members.keys() ?? []),
        params: this.#o.gossip ?? {},
        transport: this.#transport,
        log: this.#o.logger,
        onChange: (device, state, previous) => { this.#onMemberState(id, device, state, previous) }
      })
      this.#gossip.set(id, g)
      g.start()
      const online = [...(this.#o.networks.state(id)?.members.keys() ?? [])].filter((d) => d !== this.#self && this.#o.mesh.link(d).online)
      if (online.length > 0) g.syncWith(online.slice(0, 3))
    }
    this.#schedulePublish()
  }

  #onConnect (device: DeviceId): void {
    for (const [id, g] of this.#gossip) {
      if (!this.#o.networks.isMember(id, device)) continue
      const s = g.stateOf(device)
      if (s !== 'alive' && s !== 'suspect') g.syncWith([device])
    }
  }

  #onMemberState (net: NetworkId, device: DeviceId, state: string, previous: string | undefined): void {
    this.#bump()
    this.events.emit('member:state', { network: net, deviceId: device, state })
    this.#o.logger.info({ network: net, device, state, previous }, 'member state changed')
    if (state === 'alive') this.#replicator?.sync(net, device).catch(() => {})
  }

  /** Other members gossip sees alive or suspect, in every network. */
  #liveMembers (): Array<{ net: NetworkId, device: DeviceId }> {
    const out: Array<{ net: NetworkId, device: DeviceId }> = []
    for (const [net, g] of this.#gossip) {
      for (const m of g.members()) if (m.deviceId !== this.#self && (m.state === 'alive' || m.state === 'suspect')) out.push({ net, device: m.deviceId })
    }
    return out
  }

  #antiEntropy (): void {
    for (const [id, g] of this.#gossip) {
      const alive = g.members().filter((m) => m.state === 'alive' && m.deviceId !== this.#self)
      const peer = alive[Math.floor(Math.random() * alive.length)]
      if (peer !== undefined) this.#replicator?.sync(id, peer.deviceId).catch(() => {})
    }
  }

  #schedulePublish (): void {
    if (this.#publishTimer !== undefined) return
    this.#publishTimer = setTimeout(() => { this.#publishTimer = undefined; this.#publish() }, 50)
    this.#publishTimer.unref()
  }

  /** Writes this device's record in every network whose content changed. */
  #publish (): void {
    if (this.#store === undefined) return
    const address = this.#defaultAddress()
    const regs = this.registrations.list()
    const exposed = this.#o.exposed?.() ?? []
    const checks = exposedChecks(exposed)
    const checked = JSON.stringify(checks)
    if (checked !== this.#exposedChecked) {
      this.#exposedChecked = checked
      this.#exposedHealth.reconcile(checks) // republishes when done (onChange)
    }
    for (const id of this.#gossip.keys()) {
      const services: PublishedService[] = regs.filter((r) => r.network === id).map((r) => ({ name: r.name, port: r.port, address: r.address ?? address, tags: r.tags, meta: r.meta, ...this.#health.status(r.network, r.name), source: 'catalog' as const }))
      for (const e of exposed) {
        if (e.network !== id || services.some((s) => s.name === e.name)) continue
        const health = e.udp ? { status: 'passing' as const, output: 'exposed with weft expose (UDP: not checked)' } : this.#exposedHealth.status(e.network, e.name)
        services.push({ name: e.name, port: e.port, address, tags: e.udp ? ['weft-expose', 'udp'] : ['weft-expose'], meta: {}, ...health, source: 'expose' })
      }
      const record: NodeRecord = { v: 1, name: this.#o.deviceName, services }
      const text = JSON.stringify(record)
      const stored = this.#db.get(id, nodeKeyPrefix + this.#self)
      if (this.#published.get(id) === text || (this.#published.get(id) === undefined && stored?.value?.toString('utf8') === text)) { this.#published.set(id, text); continue }
      this.#published.set(id, text)
      this.#write(id, nodeKeyPrefix + this.#self, Buffer.from(text))
    }
  }

  /** The address instances of this device advertise unless registered with one. */
  #defaultAddress (): string {
    for (const a of this.#o.mesh.listenAddresses()) {
      const m = /^\/ip4\/([0-9.]+)\//.exec(a)
      if (m?.[1] !== undefined && m[1] !== '0.0.0.0') return m[1]
    }
    return '127.0.0.1'
  }
}

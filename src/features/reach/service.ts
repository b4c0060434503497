/**
 * Service reach: what this device exposes to members (persisted), what members expose to it
 * (listed from each member when it comes online or says its list changed), a stable loopback
 * address per member with a listener for each of its services, and explicit forwards.
 */
import { join } from 'node:path'
import { WeftError } from '../../core/errors.js'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { Mesh } from '../../net/types.js'
import type { Networks } from '../../network/networks.js'
import { connectService, listServices, notifyChanged } from './client.js'
import type { ServiceConnection } from './client.js'
import { DnsServer, dnsLabel, serviceTargets } from './dns.js'
import { parseWeftName } from './names.js'
import type { DnsMember, DnsServiceInstance } from './dns.js'
import { ForwardListener } from './listener.js'
import { UdpForwardListener } from './udp.js'
import { SocksServer } from './socks.js'
import { PipeBroker } from './pipe.js'
import type { PipeEnd } from './pipe.js'
import { Transfers } from './transfer.js'
import type { TransferView } from './transfer.js'
import { listReceived } from './transfer-files.js'
import type { InboxEntry } from './transfer-files.js'
import { TunnelDesk, TunnelMover } from './migration.js'
import type { TunnelStats } from './migration.js'
import { reachProtocol } from './protocol.js'
import { ServiceRegistry } from './registry.js'
import { serveReach } from './serve.js'
import { assignStableAddresses } from './stable-address.js'
import { acceptsTcp } from './probe.js'
import { serviceNamePattern } from './types.js'
import type { ExposedService, RemoteService } from './types.js'

/** Options of {@link ReachService}. */
export interface ReachOptions {
  home: string
  deviceName: string
  mesh: Mesh
  networks: Networks
  logger: Logger
  /** Listen on a stable loopback address per member (default true). */
  stableAddresses?: boolean
  /** Where the DNS server listens (UDP), or null for none. */
  dns?: { host: string, port: number } | null
  /** Where the SOCKS5 proxy listens, or null for none. */
  socks?: { host: string, port: number } | null
  /** Where files sent to this device with `weft send --to` land (default `<home>/inbox`). */
  inbox?: string
  /** Healthy catalog instances, for `NAME.service.NET.weft` (issue 7). */
  dnsServices?: () => DnsServiceInstance[]
}

/** What `weft expose` asks for. */
export interface ExposeRequest {
  name: string
  port: number
  host?: string
  network?: string
  allow?: string[]
  udp?: boolean
}

/** A forward as `weft forward` shows it. */
export interface ForwardView {
  id: string
  device: DeviceId
  deviceName: string
  service: string
  listen: string
  connections: number
  /** Said when the forward starts and something is not right yet (the member is offline). */
  warning?: string
}

/** A member's service with the local address to use. */
export interface ServiceView extends RemoteService {
  /** `HOST:PORT` to connect to from this machine (the member's stable address), if listening. */
  address: string | null
  online: boolean
}

/** Exposes local services to members and reaches theirs. */
export class ReachService {
  readonly registry: ServiceRegistry
  readonly #o: ReachOptions
  readonly #directory = new Map<DeviceId, { deviceName: string, services: RemoteService[] }>()
  readonly #stable = new Map<string, ForwardListener | UdpForwardListener>()
  readonly #forwards = new Map<string, ForwardView & { listener: ForwardListener | UdpForwardListener }>()
  readonly #off: Array<() => void> = []
  #addresses = new Map<DeviceId, string>()
  readonly pipes: PipeBroker
  readonly transfers: Transfers
  readonly #mover: TunnelMover
  readonly #desk = new TunnelDesk()
  #dns?: DnsServer
  #socks?: SocksServer
  #nextForward = 1
  #reconciling: Promise<void> = Promise.resolve()
  #stopped = false

  constructor (options: ReachOptions) {
    this.#o = options
    this.registry = new ServiceRegistry(join(options.home, 'services.json'))
    this.#mover = new TunnelMover(options.mesh, options.logger)
    this.pipes = new PipeBroker({
      mesh: options.mesh,
      isMember: (network, device) => options.networks.isMember(network, device),
      onlineMembers: (network) => [...options.networks.fellowDevices()].filter((d) => options.networks.isMember(network, d) && options.mesh.link(d).online).sort(),
      log: options.logger
    })
    this.transfers = new Transfers({
      mesh: options.mesh,
      isFellow: (device) => options.networks.fellowDevices().has(device),
      onlineFellows: () => [...options.networks.fellowDevices()].filter((d) => options.mesh.link(d).online).sort(),
      inbox: options.inbox ?? join(options.home, 'inbox'),
      journal: join(options.home, 'received.jsonl'),
      log: options.logger
    })
  }

  /** Offers files to members under a short code, or pushes them to one member (device ID or name). */
  async send (paths: string[], to?: string, text?: string): Promise<TransferView> {
    return await this.transfers.send(paths, to === undefined ? undefined : this.resolveMember(to), text)
  }

  /** What this device has received, oldest first (`weft inbox`). */
  async received (): Promise<InboxEntry[]> {
    return await listReceived(join(this.#o.home, 'received.jsonl'))
  }

  /** Opens one end of pipe `topic` in a network (optional when this device is in one). */
  async pipe (topic: string, networkRef: string | undefined, signal: AbortSignal): Promise<PipeEnd> {
    return await this.pipes.open(topic, this.#network(networkRef), signal)
  }

  async start (): Promise<void> {
    await this.registry.load()
    await this.pipes.start()
    await this.transfers.start()
    await this.#o.mesh.handle(reachProtocol, async (stream) => {
      await serveReach({
        deviceName: this.#o.deviceName,
        services: () => this.registry.list(),
        isMember: (network, device) => this.#o.networks.isMember(network, device),
        onChanged: (device) => { void this.#refresh(device) },
        tunnels: this.#desk,
        log: this.#o.logger
      }, stream)
    }, { maxInboundStreams: 1024, maxOutboundStreams: 1024, direct: true })
    this.#off.push(
      this.#o.networks.events.on('member:online', ({ deviceId }) => { void this.#refresh(deviceId) }),
      this.#o.networks.events.on('network:changed', () => { this.#reconcile() }),
      // A hole punch replaced a relay: connections and pipes opened through the relay move to the new path.
      this.#o.mesh.events.on('peer:path', ({ deviceId, path }) => {
        if (path === 'relay') return
        void this.#mover.upgrade(deviceId)
        void this.pipes.mover.upgrade(deviceId)
      })
    )
    this.#mover.start()
    this.pipes.mover.start()
    for (const device of this.#o.networks.fellowDevices()) {
      if (this.#o.mesh.link(device).online) void this.#refresh(device)
    }
    this.#reconcile()
    try {
      if (this.#o.dns != null) this.#dns = await DnsServer.listen(this.#o.dns.host, this.#o.dns.port, () => this.dnsMembers(), this.#o.logger, () => this.#o.dnsServices?.() ?? [])
      if (this.#o.socks != null) {
        this.#socks = await SocksServer.listen(this.#o.socks.host, this.#o.socks.port, {
          resolve: (host) => this.resolveHost(host),
          serviceOn: (device, port) => this.serviceByPort(device, port)?.name,
          connect: async (device, service) => await this.connect(device, service)
        }, this.#o.logger)
      }
    } catch (err) {
      await this.stop()
      throw new WeftError('CONFIG_INVALID', `cannot start the reach servers: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }

  /** Where the DNS server and SOCKS proxy listen (`HOST:PORT`), if they run. */
  endpoints (): { dns: string | null, socks: string | null } {
    const fmt = (a: { host: string, port: number } | undefined): string | null => a === undefined ? null : `${a.host}:${a.port}`
    return { dns: fmt(this.#dns?.address), socks: fmt(this.#socks?.address) }
  }

  /** Members as the DNS server answers for them. */
  dnsMembers (): DnsMember[] {
    const out: DnsMember[] = []
    for (const peer of this.#o.networks.peers()) {
      const address = this.#addresses.get(peer.deviceId)
      if (address === undefined) continue
      const services = (this.#directory.get(peer.deviceId)?.services ?? []).map((s) => ({ name: s.name, port: s.port, network: s.networkName, udp: s.udp }))
      out.push({ device: peer.deviceId, name: peer.name, networks: peer.networks.map(dnsLabel), address, services })
    }
    return out
  }

  /**
   * The member a host stands for (`DEVICE.NET.weft` or a stable address), or for a service
   * name (`NAME.svc.NET.weft`, alias `NAME.service.NET.weft`) a member exposing that service
   * that is online and not failing its catalog checks, and the service.
   */
  resolveHost (host: string): { device: DeviceId, service?: string } | undefined {
    const name = host.toLowerCase().replace(/\.$/, '')
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) {
      const device = this.memberAt(name)
      return device === undefined ? undefined : { device }
    }
    const parsed = parseWeftName(name)
    const members = this.dnsMembers()
    if (parsed?.kind === 'member') {
      const found = members.filter((m) => m.networks.includes(parsed.network) && (dnsLabel(m.name) === parsed.device || m.device.slice(0, 7).toLowerCase() === parsed.device))
      return found.length === 1 && found[0] !== undefined ? { device: found[0].device } : undefined
    }
    if (parsed?.kind !== 'service') return undefined
    const targets = new Set(serviceTargets(parsed.service, parsed.network, members.map((m) => ({ ...m, services: m.services.filter((s) => !s.udp) })), this.#o.dnsServices?.() ?? []).map((t) => t.target))
    const exposing = members.filter((m) => targets.has(`${dnsLabel(m.name)}.${parsed.network}.weft`) && m.services.some((s) => s.name === parsed.service && !s.udp && dnsLabel(s.network) === parsed.network))
    const member = exposing.find((m) => this.#o.mesh.link(m.device).online) ?? exposing[0]
    return member === undefined ? undefined : { device: member.device, service: parsed.service }
  }

  async stop (): Promise<void> {
    this.#stopped = true
    for (const off of this.#off.splice(0)) off()
    this.#mover.stop()
    this.pipes.mover.stop()
    await this.#dns?.close()
    await this.#socks?.close()
    this.#dns = undefined
    this.#socks = undefined
    await this.#reconciling
    await Promise.all([...this.#stable.values(), ...[...this.#forwards.values()].map((f) => f.listener)].map(async (l) => { await l.close() }))
    this.#stable.clear()
    this.#forwards.clear()
  }

  /**
   * Offers a local service to the members of a network (replacing one of the same name). The
   * answer carries a warning when nothing accepts TCP connections where the service should
   * listen (members' connections fail, and its catalog entry is critical, until something does).
   */
  async expose (request: ExposeRequest): Promise<ExposedService & { networkName: string, warning?: string }> {
    if (!serviceNamePattern.test(request.name)) throw new WeftError('INVALID_ARGUMENT', `service name ${JSON.stringify(request.name)}: use lowercase letters, digits and '-' (at most 63)`)
    if (!Number.isInteger(request.port) || request.port < 1 || request.port > 65535) throw new WeftError('INVALID_ARGUMENT', `port ${request.port}: must be 1 to 65535`)
    const network = this.#network(request.network)
    const allow = (request.allow ?? []).map((ref) => this.resolveMember(ref, network))
    const service: ExposedService = { name: request.name, port: request.port, host: request.host ?? '127.0.0.1', network, allow, udp: request.udp === true }
    await this.registry.put(service)
    this.#announce()
    const view = { ...service, networkName: this.#networkName(network) }
    if (service.udp || await acceptsTcp(service.host, service.port)) return view
    return { ...view, warning: `nothing answers on ${service.host}:${service.port} yet: members' connections fail (and the catalog shows ${service.name} critical) until something listens there` }
  }

  /** Stops offering a service; NOT_FOUND when none has that name. */
  async unexpose (name: string): Promise<void> {
    await this.registry.remove(name)
    this.#announce()
  }

  /** A member's name, when this device knows it. */
  memberName (device: DeviceId): string | undefined {
    return this.#o.networks.peers().find((p) => p.deviceId === device)?.name
  }

  /** Services this device exposes, with the names of their network and of the members allowed. */
  exposed (): Array<ExposedService & { networkName: string, allowNames: string[] }> {
    const names = new Map(this.#o.networks.peers().map((p) => [p.deviceId, p.name]))
    return this.registry.list().map((s) => ({ ...s, networkName: this.#networkName(s.network), allowNames: s.allow.map((d) => names.get(d) ?? d.slice(0, 7)) }))
  }

  /** Services members expose to this device, with the address to use. */
  services (): ServiceView[] {
    const fellows = this.#o.networks.fellowDevices()
    const out: ServiceView[] = []
    for (const [device, entry] of this.#directory) {
      if (!fellows.has(device)) continue
      for (const s of entry.services) {
        const address = this.#addresses.get(device)
        out.push({ ...s, address: address !== undefined && this.#stable.has(listenerKey(s.udp, address, s.port)) ? `${address}:${s.port}` : null, online: this.#o.mesh.link(device).online })
      }
    }
    return out.sort((a, b) => a.deviceName.localeCompare(b.deviceName) || a.name.localeCompare(b.name))
  }

  /** The stable loopback address of a member, if it has one. */
  stableAddress (device: DeviceId): string | undefined {
    return this.#addresses.get(device)
  }

  /** The member at a stable address, if any. */
  memberAt (address: string): DeviceId | undefined {
    for (const [device, a] of this.#addresses) if (a === address) return device
    return undefined
  }

  /** A member's service by its port (for SOCKS and DNS), if listed. */
  serviceByPort (device: DeviceId, port: number, udp = false): RemoteService | undefined {
    return this.#directory.get(device)?.services.find((s) => s.port === port && s.udp === udp)
  }

  /** A member's service by name, if listed. */
  serviceByName (device: DeviceId, name: string): RemoteService | undefined {
    return this.#directory.get(device)?.services.find((s) => s.name === name)
  }

  /** Opens a connection to a member's service through the mesh. */
  async connect (device: DeviceId, service: string, udp = false, signal?: AbortSignal): Promise<ServiceConnection> {
    if (!this.#o.networks.fellowDevices().has(device)) throw new WeftError('NOT_MEMBER', `${device} is not a member of any network of this device`)
    return await connectService(this.#o.mesh, device, service, { signal: signal ?? AbortSignal.timeout(15_000), udp, mover: this.#mover })
  }

  /** Connections and pipes through a relay and their moves to direct paths. */
  tunnelStats (): TunnelStats {
    const [a, b] = [this.#mover.stats(), this.pipes.mover.stats()]
    return { relayed: a.relayed + b.relayed, moved: a.moved + b.moved, failed: a.failed + b.failed }
  }

  /** A device by ID, ID prefix (7+ characters) or member name (in `network` when given). */
  resolveMember (ref: string, network?: NetworkId): DeviceId {
    const peers = this.#o.networks.peers().filter((p) => network === undefined || this.#o.networks.isMember(network, p.deviceId))
    const exact = peers.filter((p) => p.deviceId === ref || p.name === ref)
    const matches = exact.length > 0 ? exact : ref.length >= 7 ? peers.filter((p) => p.deviceId.startsWith(ref.toUpperCase())) : []
    if (matches.length === 1 && matches[0] !== undefined) return matches[0].deviceId
    if (matches.length > 1) throw new WeftError('INVALID_ARGUMENT', `"${ref}" matches several members; use the device ID`)
    throw new WeftError('NOT_FOUND', `no member "${ref}"${network === undefined ? '' : ' in that network'} (see "weft peers")`)
  }

  /**
   * Starts a local listener that forwards to `service` on `deviceRef`. NOT_FOUND when the
   * member's list is known and lacks the service, unless `force` (its list may be stale).
   */
  async forward (deviceRef: string, service: string, host: string, port: number, options: { force?: boolean } = {}): Promise<ForwardView> {
    const device = this.resolveMember(deviceRef)
    if (!serviceNamePattern.test(service)) throw new WeftError('INVALID_ARGUMENT', `service name ${JSON.stringify(service)} is not valid`)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new WeftError('INVALID_ARGUMENT', `port ${port}: must be 0 to 65535`)
    // The member's list says whether the service is UDP. A member whose list is known and lacks
    // the service is refused at once (every connection would fail); one not heard from yet
    // (offline) is tried as TCP once it is there.
    if (!this.#directory.has(device) && this.#o.mesh.link(device).online) await this.#refresh(device)
    const listed = this.#directory.get(device)
    const known = listed?.services.find((s) => s.name === service)
    if (listed !== undefined && known === undefined && options.force !== true) {
      const names = listed.services.map((s) => s.name)
      throw new WeftError('NOT_FOUND', `${listed.deviceName} exposes no service "${service}" to this device (${names.length === 0 ? 'it exposes none' : `it exposes: ${names.join(', ')}`}; see weft services ls)`)
    }
    const warning = listed === undefined ? `${this.#nameOf(device)} is offline: its services are not known yet; connections are tried when it is online` : undefined
    const udp = known?.udp === true
    let listener: ForwardListener | UdpForwardListener
    try {
      const dial = async (): Promise<ServiceConnection> => await this.connect(device, service, udp)
      listener = udp ? await UdpForwardListener.listen(host, port, dial, this.#o.logger) : await ForwardListener.listen(host, port, dial, this.#o.logger)
    } catch (err) {
      throw new WeftError('INVALID_ARGUMENT', `cannot listen on ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    const id = String(this.#nextForward++)
    const a = listener.address
    const view = { id, device, deviceName: this.#directory.get(device)?.deviceName ?? this.#nameOf(device), service, listen: `${a.host}:${a.port}`, connections: 0 }
    this.#forwards.set(id, { ...view, listener })
    return warning === undefined ? view : { ...view, warning }
  }

  /** Stops a forward; NOT_FOUND when there is none with that ID. */
  async unforward (id: string): Promise<void> {
    const f = this.#forwards.get(id)
    if (f === undefined) throw new WeftError('NOT_FOUND', `no forward ${JSON.stringify(id)}`)
    this.#forwards.delete(id)
    await f.listener.close()
  }

  forwards (): ForwardView[] {
    return [...this.#forwards.values()].map(({ listener, ...view }) => ({ ...view, connections: listener.connections }))
  }

  #network (ref: string | undefined): NetworkId {
    if (ref !== undefined) return this.#o.networks.resolve(ref).id
    const active = this.#o.networks.activeNetworks()
    if (active.length === 1 && active[0] !== undefined) return active[0].id
    throw new WeftError('INVALID_ARGUMENT', active.length === 0 ? 'this device is in no network: weft net create NAME or weft net join CODE' : 'this device is in several networks: say which with --net NAME')
  }

  #nameOf (device: DeviceId): string {
    return this.#o.networks.peers().find((p) => p.deviceId === device)?.name ?? device.slice(0, 7)
  }

  /** Tells every online member that our list changed. */
  #announce (): void {
    for (const device of this.#o.networks.fellowDevices()) {
      if (!this.#o.mesh.link(device).online) continue
      void notifyChanged(this.#o.mesh, device, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => {
        this.#o.logger.debug({ device, err: err instanceof Error ? err.message : String(err) }, 'could not tell a member our services changed')
      })
    }
  }

  async #refresh (device: DeviceId): Promise<void> {
    try {
      const answer = await listServices(this.#o.mesh, device, { signal: AbortSignal.timeout(10_000) })
      const services: RemoteService[] = []
      for (const s of answer.services) {
        const network = s.network as NetworkId
        if (!this.#o.networks.isMember(network, device)) continue
        services.push({ device, deviceName: answer.deviceName, name: s.name, port: s.port, udp: s.udp, network, networkName: this.#networkName(network) })
      }
      this.#directory.set(device, { deviceName: answer.deviceName, services })
      this.#reconcile()
    } catch (err) {
      this.#o.logger.debug({ device, err: err instanceof Error ? err.message : String(err) }, 'could not list a member\'s services')
    }
  }

  #networkName (id: NetworkId): string {
    try {
      return this.#o.networks.summary(id).name
    } catch {
      return id
    }
  }

  /** Brings stable-address listeners in line with members and their services (serialized). */
  #reconcile (): void {
    this.#reconciling = this.#reconciling.then(async () => { await this.#reconcileNow() })
  }

  async #reconcileNow (): Promise<void> {
    if (this.#stopped) return
    const fellows = this.#o.networks.fellowDevices()
    this.#addresses = assignStableAddresses(this.#o.mesh.deviceId, fellows)
    if (this.#o.stableAddresses === false) return
    const wanted = new Map<string, { device: DeviceId, service: string, udp: boolean, host: string, port: number }>()
    for (const [device, entry] of this.#directory) {
      const address = this.#addresses.get(device)
      if (address === undefined || !fellows.has(device)) continue
      for (const s of entry.services) wanted.set(listenerKey(s.udp, address, s.port), { device, service: s.name, udp: s.udp, host: address, port: s.port })
    }
    for (const [key, listener] of this.#stable) {
      if (!wanted.has(key)) {
        this.#stable.delete(key)
        await listener.close()
      }
    }
    for (const [key, target] of wanted) {
      if (this.#stable.has(key)) continue
      const { host, port, udp } = target
      try {
        // The service is looked up at connect time, so a renamed port follows the member's list.
        const dial = async (): Promise<ServiceConnection> => await this.connect(target.device, this.serviceByPort(target.device, port, udp)?.name ?? target.service, udp)
        const listener = udp ? await UdpForwardListener.listen(host, port, dial, this.#o.logger) : await ForwardListener.listen(host, port, dial, this.#o.logger)
        this.#stable.set(key, listener)
      } catch (err) {
        this.#o.logger.warn({ address: key, err: err instanceof Error ? err.message : String(err) }, 'cannot listen on a member\'s stable address')
      }
    }
  }
}

/** Key of a stable-address listener: protocol, address and port. */
function listenerKey (udp: boolean, address: string, port: number): string {
  return `${udp ? 'udp' : 'tcp'}:${address}:${port}`
}

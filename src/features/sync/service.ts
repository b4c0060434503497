/**
 * Folder sync for the daemon: the folders this device syncs (folders.json), the index
 * (SQLite), one runner per folder and one BEP link per online member. Folders are shared per
 * network: a folder is offered to every member of its network, and synced with those who
 * added a folder with the same ID.
 */
import { join, resolve } from 'node:path'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import type { Startable } from '../../core/lifecycle.js'
import { WeftError } from '../../core/errors.js'
import { Emitter } from '../../core/emitter.js'
import { deviceIdFromPublicKey, parseDeviceId } from '../../identity/device-id.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import type { Networks } from '../../network/networks.js'
import { IndexStore } from './index/store.js'
import { shortId } from './model/vector.js'
import { isConflictName } from './model/global.js'
import { FolderConfigStore, isFolderId } from './config.js'
import type { FolderConfig } from './config.js'
import { FolderRunner } from './folder-runner.js'
import { BepLink, bepKeepalive, bepProtocol } from './link/bep-link.js'
import type { LinkStats } from './link/bep-link.js'
import { Exchange } from './exchange.js'
import { SyncthingPeers, bepIdOfSyncthing } from './syncthing/peers.js'
import type { SyncthingConnection } from './syncthing/connections.js'
import type { AddSyncthingDeviceRequest } from './syncthing/peers.js'
import { encodeFrame } from './wire/framing.js'
import type { BepAddress } from './syncthing/devices.js'
import { syncthingDeviceViews } from './syncthing/views.js'
import type { SyncthingDevicesView } from './syncthing/views.js'
import type { BepFolder } from './wire/clusterconfig.js'
import type { BepDeviceId, FolderId, FolderType, VersioningConfig } from './types.js'
import { BlockServer } from './serve/block-server.js'
import { BufferPool } from './wire/buffer-pool.js'
import { fileRecordView, folderView } from './views.js'
import { nodeFs } from './fs/node.js'
import type { FolderFs } from './fs/types.js'
import type { FileRecordView, FolderView, Names, OfferView, ShortIdLookup } from './views.js'

/** A direct BEP link that closes sooner than this after opening counts as a failed path. */
const directGraceMs = 30_000
/** How long links to such a device then use the mesh connection: doubling from the first to the last. */
const meshOnlyMs = { first: 15_000, max: 5 * 60_000 }
/** How often links carried by the mesh connection look for a direct path. */
const upgradeEveryMs = 15_000
/** How long a stream from a device not yet known as a member waits for membership news. */
const fellowWaitMs = 10_000

/** Options of {@link SyncService}. */
export interface SyncServiceOptions {
  home: string
  deviceName: string
  mesh: Mesh
  networks: Networks
  logger: Logger
  /** Test fault: answer block requests with one bit flipped (peers must discard the data). */
  corruptBlockResponses?: boolean
  /** Where to listen for Syncthing devices (default null: dial out only). */
  syncthingListen?: BepAddress | null
  /** weft's version, for the Hello sent to Syncthing devices. */
  version?: string
  /**
   * The file system folders live on (default: the real disk). Tests hand in a MemoryFs to run
   * several services in one process; the index and the service's own files stay under `home`.
   */
  fs?: FolderFs
}

/** What `weft folder add` (and the library's `folders.add`) asks for. */
export interface AddFolderRequest {
  /** The directory to sync (created if missing). */
  path: string
  /** Network (name or ID) whose members the folder is shared with. */
  network: string
  /** Folder ID; to accept a folder a member offers, use its ID (default: a new random ID). */
  id?: string
  /** Label shown to members (default: the ID). */
  label?: string
  /** `sendreceive` (default), `sendonly` or `receiveonly`. */
  type?: FolderType
  /** Keep replaced or deleted files: `{ type: 'trashcan', cleanoutDays }` or `{ type: 'simple', keep }`. */
  versioning?: VersioningConfig
  /** Full rescan interval in seconds (default 3600; changes are also watched). */
  rescanIntervalS?: number
  /** Watch the directory for changes (default true). */
  watch?: boolean
}

/** Events of folder sync. */
export interface SyncEvents extends Record<string, unknown> {
  'folder:changed': { folder: FolderId }
}

/**
 * The conflict rules weft applies: Syncthing 1.x's, where a modification always beats a delete.
 * Syncthing 2.x lets the newer change win (keeping a losing modification as a conflict copy);
 * mixing the two rules in one folder can leave devices disagreeing about a delete-modify
 * conflict, and the 1.x rule never discards a modification.
 */
export const syncthing1Rules = { deleteLosesConflicts: true } as const

/** The bep ID (hex key) of a weft device. */
export function bepIdOf (device: DeviceId): BepDeviceId {
  return Buffer.from(parseDeviceId(device).publicKey).toString('hex') as BepDeviceId
}

/** Folder sync for one device. */
export class SyncService implements Startable {
  readonly events = new Emitter<SyncEvents>()
  readonly #o: SyncServiceOptions
  readonly #fs: FolderFs
  readonly #configs: FolderConfigStore
  readonly #runners = new Map<FolderId, FolderRunner>()
  readonly #exchanges = new Map<DeviceId, Exchange>()
  readonly #offers = new Map<string, Omit<OfferView, 'deviceName' | 'networkName'>>()
  readonly #linking = new Map<DeviceId, Promise<Exchange>>()
  /** Devices whose direct BEP connection failed early: their links use the mesh connection until then. */
  readonly #meshOnly = new Map<DeviceId, { until: number, ms: number }>()
  /** Links carried by the mesh connection, by device (looked at for a direct path). */
  readonly #onMesh = new Set<DeviceId>()
  #upgradeTimer?: NodeJS.Timeout
  readonly #self: BepDeviceId
  readonly #syncthing: SyncthingPeers
  #index?: IndexStore
  /** Answers block requests of every link (files kept open across their blocks). */
  readonly #blocks: BlockServer
  /** Buffers of received blocks, given back once the puller wrote them (see BufferPool). */
  readonly #pool = new BufferPool()
  #off: Array<() => void> = []

  constructor (options: SyncServiceOptions) {
    this.#o = options
    this.#fs = options.fs ?? nodeFs
    this.#blocks = new BlockServer({
      fs: this.#fs,
      servable: (folder, name) => {
        const local = this.#index?.getFile(folder, this.#self, name)?.file
        return local !== undefined && !local.deleted && !local.invalid && local.type === 'file' ? local : undefined
      },
      corrupt: options.corruptBlockResponses === true
    })
    this.#configs = new FolderConfigStore(join(options.home, 'folders.json'))
    this.#self = bepIdOf(options.networks.deviceId)
    this.#syncthing = new SyncthingPeers({
      home: options.home,
      deviceName: options.deviceName,
      version: options.version ?? '0.0.0',
      listen: options.syncthingListen ?? null,
      logger: options.logger.child({ part: 'syncthing' }),
      connected: (device) => this.#exchanges.get(device)?.link.open === true,
      attach: (connection) => { this.#attachSyncthing(connection) },
      onRemoved: (device) => { this.#exchanges.get(device)?.link.close('device removed') },
      pool: this.#pool
    })
  }

  /** The Syncthing identity, devices and connections. */
  get syncthing (): SyncthingPeers {
    return this.#syncthing
  }

  get #db (): IndexStore {
    if (this.#index === undefined) throw new WeftError('INTERNAL', 'sync not started')
    return this.#index
  }

  async start (): Promise<void> {
    const configs = await this.#configs.load()
    // Syncthing 1.x's conflict rule (a modification beats a delete): the rule must be the same
    // on every device of a folder, and it is what Syncthing 1.x devices apply.
    this.#index = IndexStore.open({ path: join(this.#o.home, 'index.db'), localDevice: this.#self, rules: syncthing1Rules })
    for (const config of configs) this.#runners.set(config.id, this.#runner(config))
    await this.#o.mesh.handle(bepProtocol, async (stream) => {
      // A device that just joined may reach us before its membership reached us: wait a little
      // for it rather than refuse (a refused direct stream would send the link to the mesh).
      if (!await this.#becomesFellow(stream.remote)) {
        stream.abort(new Error('not a member'))
        return
      }
      const exchange = await this.#link(stream.remote)
      await exchange.link.receive(stream)
    }, { maxInboundStreams: 2, direct: true })
    this.#off.push(
      this.#o.mesh.events.on('peer:connect', (device) => { if (this.#o.networks.fellowDevices().has(device)) void this.#link(device).catch(() => {}) }),
      this.#o.mesh.events.on('peer:disconnect', (device) => { this.#exchanges.get(device)?.link.close() }),
      // A better path opened (a hole punch replaced a relay): move the link onto it.
      this.#o.mesh.events.on('peer:path', ({ deviceId }) => { this.#exchanges.get(deviceId)?.link.close() }),
      this.#o.networks.events.on('network:changed', () => { void this.#reconcile() })
    )
    await Promise.all([...this.#runners.values()].map(async (r) => { await r.start() }))
    this.#upgradeTimer = setInterval(() => { this.#upgradeLinks() }, upgradeEveryMs).unref()
    for (const device of this.#o.networks.fellowDevices()) {
      if (this.#o.mesh.link(device).online) void this.#link(device).catch(() => {})
    }
    await this.#syncthing.start()
  }

  async stop (): Promise<void> {
    for (const off of this.#off.splice(0)) off()
    clearInterval(this.#upgradeTimer)
    await this.#syncthing.stop()
    for (const exchange of this.#exchanges.values()) exchange.link.close()
    await Promise.all([...this.#runners.values()].map(async (r) => { await r.stop() }))
    this.#blocks.stop()
    this.#index?.close()
    this.#index = undefined
  }

  #runner (config: FolderConfig): FolderRunner {
    return new FolderRunner(config, {
      fs: this.#fs,
      index: this.#db,
      self: this.#self,
      selfShort: shortId(this.#self),
      blocks: {
        request: async (req, { signal }) => {
          const device = req.devices[0]
          const linkTo = (): Exchange | undefined => [...this.#exchanges.values()].find((e) => e.link.bepId === device && e.link.open)
          const ask = async (exchange: Exchange | undefined): Promise<Uint8Array> => {
            if (exchange === undefined) throw new WeftError('PEER_UNREACHABLE', 'no connection to that device')
            return await exchange.link.request({ folder: config.id, name: req.name, offset: req.offset, size: req.size, hash: req.hash, fromTemporary: false, blockNo: req.blockNo }, signal)
          }
          const first = linkTo()
          // A link replaced meanwhile (moved to a direct connection) fails its requests in
          // flight: they are asked again, once, on the link that replaced it.
          const data = await ask(first).catch(async (err: unknown) => {
            const next = linkTo()
            if (next === undefined || next === first || signal.aborted) throw err
            return await ask(next)
          })
          const runner = this.#runners.get(config.id)
          if (runner !== undefined) runner.bytesFromPeers += data.length
          return data
        },
        release: (data) => { this.#pool.release(data) },
        reportBadBlock: (device, req) => {
          const member = [...this.#exchanges.values()].find((e) => e.link.bepId === device)?.link.device
          this.#o.logger.warn({ folder: config.id, device: member ?? device, name: req.name, block: req.blockNo }, 'peer sent a block with the wrong hash; discarded')
          if (member !== undefined) this.#runners.get(config.id)?.noteBadBlock(member)
        }
      },
      onlinePeers: () => new Set([...this.#exchanges.values()].filter((e) => e.link.open && e.sent.has(config.id)).map((e) => e.link.bepId)),
      onLocalChange: () => { void this.#announce(config.id) },
      onStateChange: () => { this.events.emit('folder:changed', { folder: config.id }) },
      log: this.#o.logger
    })
  }

  /** The exchange with `device`, opening our stream to it if needed (one at a time per device). */
  async #link (device: DeviceId): Promise<Exchange> {
    const existing = this.#exchanges.get(device)
    if (existing?.link.open === true) return existing
    let pending = this.#linking.get(device)
    if (pending === undefined) {
      pending = this.#openLink(device).finally(() => { this.#linking.delete(device) })
      this.#linking.set(device, pending)
    }
    return await pending
  }

  async #openLink (device: DeviceId): Promise<Exchange> {
    // Block data is bulk: a direct connection of its own (TLS, no multiplexer) when the member
    // is on a LAN or direct path moves it at 1.4 to 1.7 times the rate of a mesh stream
    // (docs/BENCHMARKS.md); the mesh connection otherwise.
    const direct = this.#meshOnlyNow(device) ? undefined : await this.#o.mesh.openDirect(device, bepProtocol).catch(() => undefined)
    const out = direct ?? await this.#o.mesh.openStream(device, bepProtocol)
    return this.#startLink(device, out, direct !== undefined)
  }

  /** Starts the BEP conversation over `out` (our stream to `device`) and makes it the device's link. */
  async #startLink (device: DeviceId, out: MeshStream, direct: boolean): Promise<Exchange> {
    if (direct) this.#onMesh.delete(device)
    else this.#onMesh.add(device)
    this.#o.logger.info({ device, direct }, 'BEP link opened')
    const holder: { exchange?: Exchange } = {}
    const link = new BepLink({
      pool: this.#pool,
      kind: 'mesh',
      device,
      bepId: bepIdOf(device),
      self: this.#self,
      out,
      log: this.#o.logger,
      // A direct connection can die silently (a NAT mapping expires) while the mesh
      // connection lives on; Pings find that out, as between Syncthing devices.
      keepalive: bepKeepalive,
      handler: {
        onMessage: async (_l, message) => { await holder.exchange?.onMessage(message) },
        onClosed: (closed) => {
          const ageMs = Date.now() - closed.openedAt
          this.#o.logger.info({ device, direct, ageMs, reason: closed.closeReason }, 'BEP link closed')
          // A direct connection the member refused or lost at once (its limits, a path that
          // only half works) must not become a loop of short links: the mesh for a while,
          // longer each time it happens again.
          if (direct && ageMs < directGraceMs) this.#penalizeDirect(device)
          else if (direct) this.#meshOnly.delete(device)
          if (this.#exchanges.get(device) !== holder.exchange) return
          this.#exchanges.delete(device)
          // Still a connected member: link again shortly (e.g. it refused us while joining).
          setTimeout(() => {
            if (this.#index !== undefined && this.#o.mesh.link(device).online && this.#o.networks.fellowDevices().has(device)) void this.#link(device).catch(() => {})
          }, 2000).unref()
        }
      }
    })
    const exchange = this.#exchange(link)
    holder.exchange = exchange
    this.#exchanges.set(device, exchange)
    await exchange.hello()
    return exchange
  }

  #meshOnlyNow (device: DeviceId): boolean {
    return (this.#meshOnly.get(device)?.until ?? 0) > Date.now()
  }

  #penalizeDirect (device: DeviceId): void {
    const ms = Math.min(meshOnlyMs.max, (this.#meshOnly.get(device)?.ms ?? meshOnlyMs.first / 2) * 2)
    this.#meshOnly.set(device, { until: Date.now() + ms, ms })
  }

  /**
   * Links carried by the mesh connection move to a direct connection once one answers (the
   * member was not yet a member when the link opened, or a direct attempt failed a while ago):
   * the new link replaces the old one, whose requests in flight are asked again on the new.
   */
  #upgradeLinks (): void {
    for (const device of this.#onMesh) {
      const current = this.#exchanges.get(device)
      if (current === undefined || !current.link.open || this.#linking.has(device) || this.#meshOnlyNow(device)) continue
      const upgrade = async (): Promise<Exchange | undefined> => {
        const direct = await this.#o.mesh.openDirect(device, bepProtocol).catch(() => undefined)
        if (direct === undefined) return undefined
        if (this.#exchanges.get(device) !== current || !current.link.open) {
          direct.abort(new Error('link changed meanwhile'))
          return undefined
        }
        current.link.close('moving to a direct connection')
        return await this.#startLink(device, direct, true)
      }
      const pending = upgrade().then((e) => e ?? current).finally(() => { this.#linking.delete(device) })
      this.#linking.set(device, pending)
      pending.catch((err: unknown) => { this.#o.logger.debug({ device, err: (err as Error).message }, 'moving a BEP link to a direct connection failed') })
    }
  }

  /** True once `device` shares a network with us, waiting up to {@link fellowWaitMs} for membership news. */
  async #becomesFellow (device: DeviceId): Promise<boolean> {
    const networks = this.#o.networks
    if (networks.fellowDevices().has(device)) return true
    return await new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        off()
        resolve(ok)
      }
      const timer = setTimeout(() => { done(false) }, fellowWaitMs)
      const off = networks.events.on('network:changed', () => { if (networks.fellowDevices().has(device)) done(true) })
    })
  }

  #exchange (link: BepLink): Exchange {
    return new Exchange({
      index: this.#db,
      self: this.#self,
      selfName: this.#o.deviceName,
      log: this.#o.logger,
      sharedRunner: (l, folder) => this.#sharedRunner(l, folder),
      foldersFor: (l) => [...this.#runners.values()].filter((r) => this.#sharesWith(r, l)),
      onOffer: (l, folder) => { this.#offer(l, folder) },
      blocks: this.#blocks
    }, link)
  }

  /** A Syncthing device connected (authenticated, Hello exchanged): run BEP with it. */
  #attachSyncthing (c: SyncthingConnection): void {
    const existing = this.#exchanges.get(c.device)
    if (existing?.link.open === true || this.#index === undefined) {
      this.#o.logger.info({ device: c.device, address: c.address }, 'Syncthing device already connected; closing the new connection')
      c.channel.end(encodeFrame({ type: 'close', reason: 'already connected' }))
      return
    }
    const holder: { exchange?: Exchange } = {}
    const link = new BepLink({
      kind: 'syncthing',
      device: c.device,
      bepId: bepIdOfSyncthing(c.device),
      self: this.#syncthing.selfBepId,
      out: c.channel,
      log: this.#o.logger,
      keepalive: bepKeepalive,
      peer: { name: c.hello.deviceName, client: `${c.hello.clientName} ${c.hello.clientVersion}`, address: c.address, direction: c.direction },
      handler: {
        onMessage: async (_l, message) => { await holder.exchange?.onMessage(message) },
        onClosed: () => {
          if (this.#exchanges.get(c.device) === holder.exchange) this.#exchanges.delete(c.device)
          this.#syncthing.noteDisconnected(c.device, Date.now() - link.openedAt)
          this.#o.logger.info({ device: c.device }, 'Syncthing device disconnected')
        }
      }
    })
    const exchange = this.#exchange(link)
    holder.exchange = exchange
    this.#exchanges.set(c.device, exchange)
    void (async () => {
      try {
        await exchange.hello()
      } catch {
        return
      }
      await link.receive(c.channel, c.decoder)
    })()
  }

  /** Whether a folder is shared with a link's device (network membership, or the folder's Syncthing list). */
  #sharesWith (runner: FolderRunner, link: BepLink): boolean {
    if (link.kind === 'syncthing') return (runner.config.syncthing ?? []).includes(link.device) && this.#syncthing.device(link.device) !== undefined
    return this.#o.networks.isMember(runner.config.network, link.device)
  }

  #sharedRunner (link: BepLink, folder: FolderId): FolderRunner | undefined {
    const runner = this.#runners.get(folder)
    if (runner === undefined || runner.config.paused || !this.#sharesWith(runner, link)) return undefined
    return runner
  }

  #offer (link: BepLink, folder: BepFolder): void {
    const device = link.device
    const network = link.kind === 'syncthing' ? undefined : this.#o.networks.activeNetworks().find((r) => this.#o.networks.isMember(r.id, device))
    this.#offers.set(`${folder.id}/${device}`, { id: folder.id, label: folder.label, device, network: network?.id ?? null })
  }

  async #announce (folder: FolderId): Promise<void> {
    this.events.emit('folder:changed', { folder })
    await Promise.allSettled([...this.#exchanges.values()].map(async (e) => { await e.sendIndex(folder) }))
  }

  /** Membership changed: drop links to devices that are no longer fellows, re-announce folders. */
  async #reconcile (): Promise<void> {
    const fellows = this.#o.networks.fellowDevices()
    for (const [device, exchange] of this.#exchanges) {
      const known = exchange.link.kind === 'syncthing' ? this.#syncthing.device(device) !== undefined : fellows.has(device)
      if (!known) exchange.link.close(exchange.link.kind === 'syncthing' ? 'device removed' : undefined)
      else await exchange.refresh().catch(() => {})
    }
    for (const device of fellows) {
      if (!this.#exchanges.has(device) && this.#o.mesh.link(device).online) void this.#link(device).catch(() => {})
    }
  }

  // ---- API -------------------------------------------------------------------------------

  /** Adds a folder (creating its directory and `.stfolder` marker) and offers it to the network. */
  async add (request: AddFolderRequest): Promise<FolderView> {
    const network = this.#o.networks.resolve(request.network)
    if (network.removedAt !== undefined) throw new WeftError('NOT_MEMBER', 'this device was removed from that network')
    const path = resolve(request.path)
    const wanted = request.id ?? randomFolderId()
    if (!isFolderId(wanted)) throw new WeftError('INVALID_ARGUMENT', `invalid folder ID "${wanted}": letters, digits, '.', '_' and '-', up to 64`)
    const id: FolderId = wanted
    if (this.#runners.has(id)) throw new WeftError('ALREADY_EXISTS', `folder ${id} already exists`)
    for (const r of this.#runners.values()) {
      if (path === r.config.path || path.startsWith(r.config.path + '/') || r.config.path.startsWith(path + '/')) throw new WeftError('INVALID_ARGUMENT', `${path} overlaps folder ${r.config.id} (${r.config.path})`)
    }
    await this.#fs.mkdirp(path)
    if (!(await this.#fs.stat(path)).isDirectory()) throw new WeftError('INVALID_ARGUMENT', `${path} is not a directory`)
    await this.#fs.appendFile(join(path, '.stfolder'), '')
    const config: FolderConfig = {
      id,
      label: request.label ?? id,
      path,
      network: network.id,
      type: request.type ?? 'sendreceive',
      paused: false,
      versioning: request.versioning ?? { type: 'none' },
      rescanIntervalS: request.rescanIntervalS ?? 3600,
      watch: request.watch ?? true
    }
    await this.#configs.save([...[...this.#runners.values()].map((r) => r.config), config])
    const runner = this.#runner(config)
    this.#runners.set(id, runner)
    for (const key of [...this.#offers.keys()]) if (key.startsWith(`${id}/`)) this.#offers.delete(key)
    await runner.start()
    await this.#reconcile()
    return this.view(id)
  }

  /** Every folder, and the folders members offer that this device has not added. */
  list (): { folders: FolderView[], offered: OfferView[] } {
    const names = this.#names()
    return {
      folders: [...this.#runners.keys()].map((id) => this.view(id, names)),
      offered: [...this.#offers.values()].map((o) => ({ ...o, deviceName: names.device(o.device), networkName: o.network === null ? null : names.network(o.network) }))
    }
  }

  /** Names for the IDs views show: members' names, then Syncthing devices' names; networks' names. */
  #names (): Names {
    const members = new Map(this.#o.networks.peers().map((p) => [p.deviceId, p.name]))
    return {
      device: (id) => members.get(id) ?? this.#syncthing.device(id)?.name ?? null,
      network: (id) => {
        try {
          return this.#o.networks.summary(id).name
        } catch {
          return null
        }
      }
    }
  }

  /** Status of one folder. */
  view (id: string, names = this.#names()): FolderView {
    const runner = this.#get(id)
    const linked = [...this.#exchanges.values()].filter((e) => e.link.open && e.sent.has(runner.config.id))
    const pending = linked.filter((e) => !e.indexCaughtUp(runner.config.id)).map((e) => e.link.device)
    return folderView(runner, this.#db, linked.map((e) => e.link.device), names, pending)
  }

  /** This device's record of `name` in a folder, and the global (winning) one; NOT_FOUND when neither exists. */
  file (id: string, name: string): { local: FileRecordView | null, global: FileRecordView | null } {
    const runner = this.#get(id)
    const local = this.#db.getFile(runner.config.id, this.#self, name)?.file
    const global = this.#db.globalEntry(runner.config.id, name)?.global.file
    if (local === undefined && global === undefined) throw new WeftError('NOT_FOUND', `no file ${JSON.stringify(name)} in folder ${id}`)
    const lookup = this.#shortIds()
    return { local: local === undefined ? null : fileRecordView(local, lookup), global: global === undefined ? null : fileRecordView(global, lookup) }
  }

  /** The devices behind the short IDs of file records: this device, members, Syncthing devices. */
  #shortIds (): ShortIdLookup {
    const names = this.#names()
    const devices = [this.#o.networks.deviceId, ...this.#o.networks.peers().map((p) => p.deviceId), ...this.#syncthing.devices().map((d) => d.id)]
    const byShort = new Map(devices.map((d) => [shortId(bepIdOf(d)), d]))
    return (id) => {
      const deviceId = byShort.get(id)
      if (deviceId === undefined) return undefined
      return { deviceId, name: deviceId === this.#o.networks.deviceId ? this.#o.deviceName : names.device(deviceId) }
    }
  }

  /** Conflict copies present in a folder. */
  conflicts (id: string): Array<{ name: string, size: number, modified: number }> {
    const runner = this.#get(id)
    const out: Array<{ name: string, size: number, modified: number }> = []
    for (const r of this.#db.localFiles(runner.config.id)) {
      if (!r.file.deleted && isConflictName(r.file.name)) out.push({ name: r.file.name, size: r.file.size, modified: r.file.modifiedS * 1000 })
    }
    return out.sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Scans now. */
  rescan (id: string): void {
    this.#get(id).requestScan()
  }

  /** Counters of the open BEP link with `device`, if any (records and messages each way; for tests of delta indexes). */
  linkStats (device: DeviceId): LinkStats | undefined {
    const exchange = this.#exchanges.get(device)
    return exchange?.link.open === true ? exchange.link.stats : undefined
  }

  /** Pauses or resumes a folder (persisted). */
  async setPaused (id: string, paused: boolean): Promise<FolderView> {
    const runner = this.#get(id)
    if (runner.config.paused === paused) return this.view(id)
    await runner.stop()
    runner.config = { ...runner.config, paused }
    if (!paused) runner.state = 'idle'
    await this.#configs.save([...this.#runners.values()].map((r) => r.config))
    await runner.start()
    await this.#reconcile()
    return this.view(id)
  }

  /** Stops syncing a folder and forgets its index; the files stay where they are. */
  async remove (id: string): Promise<void> {
    const runner = this.#get(id)
    await runner.stop()
    this.#runners.delete(runner.config.id)
    await this.#configs.save([...this.#runners.values()].map((r) => r.config))
    this.#db.dropFolder(runner.config.id)
    await this.#reconcile()
  }

  /** This device as a Syncthing device: its ID, listener, known and pending devices. */
  syncthingView (): SyncthingDevicesView {
    return syncthingDeviceViews({
      id: this.#syncthing.identity.deviceId,
      listen: this.#syncthing.listenAddress,
      devices: this.#syncthing.devices(),
      link: (device) => this.#exchanges.get(device)?.link,
      folders: (device) => [...this.#runners.values()].filter((r) => (r.config.syncthing ?? []).includes(device)).map((r) => r.config.id),
      pending: this.#syncthing.pending()
    })
  }

  /** Adds (or updates) a Syncthing device: `weft syncthing add`. */
  async addSyncthingDevice (request: AddSyncthingDeviceRequest): Promise<SyncthingDevicesView> {
    await this.#syncthing.add(request)
    await this.#reconcile()
    return this.syncthingView()
  }

  /** Forgets a Syncthing device (folders stop being shared with it). */
  async removeSyncthingDevice (id: string): Promise<void> {
    await this.#syncthing.remove(id)
    await this.#reconcile()
  }

  /** Shares a folder with a known Syncthing device, or stops sharing it: `weft folder share ID --syncthing DEVICE`. */
  async shareWithSyncthing (id: string, deviceText: string, shared = true): Promise<FolderView> {
    const runner = this.#get(id)
    const device = parseDeviceId(deviceText).deviceId
    if (shared && this.#syncthing.device(device) === undefined) throw new WeftError('NOT_FOUND', `unknown Syncthing device ${device}: add it first with weft syncthing add ${device} tcp://HOST:PORT`)
    const current = runner.config.syncthing ?? []
    const next = shared ? [...new Set([...current, device])] : current.filter((d) => d !== device)
    runner.config = { ...runner.config, syncthing: next }
    await this.#configs.save([...this.#runners.values()].map((r) => r.config))
    for (const key of [...this.#offers.keys()]) if (key === `${runner.config.id}/${device}`) this.#offers.delete(key)
    await this.#reconcile()
    return this.view(id)
  }

  #get (id: string): FolderRunner {
    const runner = this.#runners.get(id as FolderId)
    if (runner === undefined) throw new WeftError('NOT_FOUND', `no folder "${id}" (see "weft folder ls")`)
    return runner
  }
}

function randomFolderId (): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyz23456789'
  const pick = (): string => Array.from({ length: 5 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('')
  return `${pick()}-${pick()}`
}

/** The device ID of a bep ID (hex public key). */
export function deviceOfBepId (id: BepDeviceId): DeviceId {
  return deviceIdFromPublicKey(Buffer.from(id, 'hex'))
}

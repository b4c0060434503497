/**
 * The composition root: builds every component from the home directory's key and config,
 * starts them in dependency order and stops them in reverse. Nothing else constructs
 * components; there are no module-level singletons.
 */
import { join } from 'node:path'
import type { DeviceKey } from '../identity/device-key.js'
import { loadDeviceKey } from '../identity/device-key.js'
import type { Logger } from '../core/log.js'
import { startAll, stopAll } from '../core/lifecycle.js'
import type { Startable } from '../core/lifecycle.js'
import { Libp2pMesh } from '../net/libp2p-mesh.js'
import { peerIdOf } from '../net/peer-ids.js'
import { NetworkService } from '../network/service.js'
import { NetworkStore } from '../network/store.js'
import { Perf } from '../features/perf.js'
import { SyncService } from '../features/sync/service.js'
import { parseBepAddress } from '../features/sync/syncthing/devices.js'
import { ReachService } from '../features/reach/service.js'
import { Doctor } from '../features/doctor.js'
import { Pinger } from '../features/ping.js'
import { LinkTables } from '../features/links.js'
import { CatalogService } from '../features/catalog/service.js'
import { blockedPeersFile } from '../features/catalog/faults.js'
import { weftVersion } from '../version.js'
import { WeftError } from '../core/errors.js'
import { RotatingFile } from '../core/rotating-file.js'
import { dhtRole, loadConfig, parseEndpoint, saveConfig, validateConfig } from './config.js'
import type { Config } from './config.js'
import { overlayConfig } from './config-overlay.js'
import type { ConfigOverlay } from './config-overlay.js'
import { homePaths, weftCommandFor } from './home.js'
import type { HomePaths } from './home.js'
import { acquireLock, lockHolder } from './lock.js'
import { daemonLogger } from './logger.js'
import { PortRaceError, portInUseError, probeBind, settlePorts, slotOfBindError } from './ports.js'
import type { PortMove } from './ports.js'
import { ApiServer } from './api/server.js'
import type { StatusView } from './api/types.js'

/** Options of {@link Daemon.open}. */
export interface DaemonOptions {
  /** Where logs go (default: `<home>/weft.log`, plus warnings on stderr). */
  logger?: Logger
  /**
   * Faults to inject, for tests of how peers cope with a misbehaving device. Read from the
   * `WEFT_TEST_FAULTS` environment variable (comma-separated) when not given. Never set in use.
   * `corrupt-block-responses`: sync serves corrupted blocks; `gossip-partition` and
   * `gossip-garbage`: see src/features/catalog/faults.ts.
   */
  faults?: ReadonlySet<string>
  /** Serve as a relay whatever the config says (`weft daemon --relay`). */
  relay?: boolean
  /**
   * Settings laid over the home's config for this run only (validated, never written): an
   * embedding application's options (src/library/options.ts).
   */
  overlay?: ConfigOverlay
}

/** The faults a daemon can be told to inject (see {@link DaemonOptions.faults}). */
export const knownFaults = ['corrupt-block-responses', 'gossip-partition', 'gossip-garbage'] as const

/** A running (or ready to run) weft daemon. */
export class Daemon {
  readonly paths: HomePaths
  readonly config: Config
  readonly key: DeviceKey
  readonly log: Logger
  readonly mesh: Libp2pMesh
  readonly networks: NetworkService
  readonly perf: Perf
  readonly sync: SyncService
  readonly reach: ReachService
  readonly doctor: Doctor
  readonly pinger: Pinger
  readonly links: LinkTables
  readonly catalog: CatalogService
  readonly api: ApiServer
  /** Ports weft chose that were taken, moved to free ones (and written to the config) by {@link Daemon.open}. */
  portMoves: readonly PortMove[] = []
  #startedAt = 0
  #release?: () => Promise<void>
  #logFile?: RotatingFile

  private constructor (paths: HomePaths, config: Config, key: DeviceKey, log: Logger, faults: ReadonlySet<string>, relay: boolean) {
    this.paths = paths
    this.config = config
    this.key = key
    this.log = log
    this.mesh = new Libp2pMesh({
      seed: key.seed,
      listen: config.p2p.listen,
      announce: config.p2p.announce,
      mdns: { enabled: config.p2p.mdns, intervalMs: config.p2p.mdnsIntervalMs },
      agentVersion: `weft/${weftVersion}`,
      relay: relay ? config.p2p.relay : undefined,
      relays: config.p2p.relays,
      bootstrap: config.p2p.bootstrap,
      dht: dhtRole(config.p2p, relay),
      holePunching: config.p2p.holePunching,
      logger: log.child({ component: 'mesh' })
    })
    this.networks = new NetworkService({
      key,
      deviceName: config.deviceName,
      mesh: this.mesh,
      store: new NetworkStore(paths.networks),
      version: weftVersion,
      logger: log.child({ component: 'networks' })
    })
    this.perf = new Perf(this.mesh, { isFellow: (device) => this.networks.fellowDevices().has(device) })
    this.sync = new SyncService({
      home: paths.root,
      deviceName: config.deviceName,
      mesh: this.mesh,
      networks: this.networks,
      logger: log.child({ component: 'sync' }),
      corruptBlockResponses: faults.has('corrupt-block-responses'),
      syncthingListen: config.syncthing.listen === null ? null : parseBepAddress(config.syncthing.listen) ?? null,
      version: weftVersion
    })
    this.reach = new ReachService({
      home: paths.root,
      deviceName: config.deviceName,
      mesh: this.mesh,
      networks: this.networks,
      logger: log.child({ component: 'reach' }),
      stableAddresses: config.reach.stableAddresses,
      dns: config.reach.dns === null ? null : parseEndpoint(config.reach.dns),
      socks: config.reach.socks === null ? null : parseEndpoint(config.reach.socks),
      dnsServices: () => this.catalog.dnsInstances()
    })
    this.catalog = new CatalogService({
      home: paths.root,
      deviceName: config.deviceName,
      mesh: this.mesh,
      networks: this.networks,
      logger: log.child({ component: 'catalog' }),
      gossip: config.catalog.gossip,
      configServices: config.catalog.services,
      exposed: () => this.reach.registry.list(),
      stableAddress: (device) => this.reach.stableAddress(device),
      faults: {
        blockedPeersPath: faults.has('gossip-partition') ? join(paths.root, blockedPeersFile) : undefined,
        garbage: faults.has('gossip-garbage')
      }
    })
    this.doctor = new Doctor(this.mesh, this.mesh, this.networks, relay, () => this.reach.tunnelStats())
    this.pinger = new Pinger(this.mesh, this.networks, (ref) => this.reach.resolveMember(ref))
    this.links = new LinkTables(this.mesh, {
      resolveNetwork: (ref) => this.networks.resolve(ref).id,
      membersOf: (id) => [...this.networks.state(id)?.members.keys() ?? []],
      isMember: (id, device) => this.networks.isMember(id, device)
    })
    this.api = new ApiServer({ host: config.api.host, port: config.api.port, paths, logger: log.child({ component: 'api' }) })
    this.api.attach({ status: () => this.status(), networks: this.networks, perf: this.perf, sync: this.sync, reach: this.reach, doctor: this.doctor, pinger: this.pinger, links: this.links, catalog: this.catalog })
  }

  /** Loads key and config from `home`; NOT_INITIALIZED or CONFIG_INVALID when they are missing or bad. */
  static async open (home: string, options: DaemonOptions = {}): Promise<Daemon> {
    const paths = homePaths(home)
    const holder = await lockHolder(paths.lock)
    if (holder !== undefined) throw new WeftError('ALREADY_EXISTS', `a weft daemon (pid ${holder}) is already running with this home`)
    const settled = await settlePorts(await loadConfig(paths.config), weftCommandFor(paths.root), async (c) => { await saveConfig(paths.config, c) })
    const config = options.overlay === undefined ? settled.config : validateConfig(overlayConfig(options.overlay)(settled.config), 'options')
    const key = await loadDeviceKey(paths.deviceKey)
    const faults = options.faults ?? new Set((process.env.WEFT_TEST_FAULTS ?? '').split(',').map((f) => f.trim()).filter((f) => f !== ''))
    for (const fault of faults) {
      if (!(knownFaults as readonly string[]).includes(fault)) throw new WeftError('CONFIG_INVALID', `unknown fault ${JSON.stringify(fault)} in WEFT_TEST_FAULTS (known: ${knownFaults.join(', ')})`)
    }
    const logFile = options.logger === undefined ? new RotatingFile(paths.log) : undefined
    const log = options.logger ?? daemonLogger(config.log.level, logFile as RotatingFile)
    for (const fault of faults) {
      log.warn({ fault }, 'TEST FAULT INJECTION ENABLED: this daemon misbehaves on purpose')
    }
    const daemon = new Daemon(paths, config, key, log, faults, options.relay === true || config.p2p.relay.enabled)
    daemon.#logFile = logFile
    daemon.portMoves = settled.moves
    for (const move of settled.moves) log.info(move, 'port taken: moved to a free one')
    return daemon
  }

  /**
   * Starts everything. On failure, what started is stopped again, the home's lock is released
   * and the log file closed: nothing is left open, and {@link Daemon.stop} is not needed. A
   * daemon whose start failed is spent; open a new one to try again.
   */
  async start (): Promise<void> {
    try {
      this.#release = await acquireLock(this.paths.lock)
      await this.networks.load()
      this.mesh.setGate(this.networks)
      await startAll(this.#components())
    } catch (err) {
      const failure = await this.#startFailure(err)
      await this.#release?.()
      this.#release = undefined
      this.log.info({ err: failure instanceof Error ? failure.message : String(failure) }, 'daemon did not start')
      this.#closeLog()
      throw failure
    }
    this.#startedAt = Date.now()
    this.log.info({ deviceId: this.key.deviceId, api: this.api.url }, 'daemon started')
  }

  /** The error a failed start reports: a port taken between the check in open() and the listen gets the same one line. */
  async #startFailure (err: unknown): Promise<unknown> {
    const slot = slotOfBindError(this.config, err)
    if (slot !== undefined && this.config.autoPorts.includes(slot.key)) return new PortRaceError(slot)
    if (slot !== undefined) return await portInUseError(this.config, slot, 'EADDRINUSE', weftCommandFor(this.paths.root), probeBind)
    return err
  }

  #closeLog (): void {
    this.log.flush()
    this.#logFile?.close()
  }

  /** Stops everything, in reverse order. */
  async stop (): Promise<void> {
    try {
      await stopAll(this.#components())
    } finally {
      await this.#release?.()
      this.log.info('daemon stopped')
      this.#closeLog()
    }
  }

  #components (): Startable[] {
    return [this.mesh, this.networks, this.perf, this.sync, this.reach, this.catalog, this.links, this.api]
  }

  /** What `weft status` shows. */
  status (): StatusView {
    return {
      deviceId: this.key.deviceId,
      peerId: peerIdOf(this.key.deviceId).toString(),
      name: this.config.deviceName,
      version: weftVersion,
      api: this.api.url,
      pid: process.pid,
      home: this.paths.root,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      memory: memoryNow(),
      addresses: this.mesh.listenAddresses(),
      networks: this.networks.list().map(({ id, name, role, members, online }) => ({ id, name, role, members, online })),
      ...this.reach.endpoints()
    }
  }
}

/** The process's memory as `weft status` shows it. */
function memoryNow (): StatusView['memory'] {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapUsed, heapTotal, external, arrayBuffers }
}

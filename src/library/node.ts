/**
 * An embedded weft node: the daemon's composition root (src/daemon/daemon.ts) run in the
 * application's process, behind a small typed facade with one object per area (networks,
 * folders, services, files, streams, catalog, KV) and the node's events.
 */
import { WeftError } from '../core/errors.js'
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { Daemon } from '../daemon/daemon.js'
import type { StatusView } from '../daemon/api/types.js'
import { resolveHome } from '../daemon/home.js'
import { initHome, isInitialized } from '../daemon/init.js'
import { perfBody } from '../daemon/api/schemas.js'
import { checked } from './validate.js'
import type { DoctorReport } from '../features/doctor.js'
import type { PerfResult } from '../features/perf.js'
import { Catalog, Kv } from './catalog.js'
import { subscribe } from './events.js'
import type { NodeEvents } from './events.js'
import { Folders } from './folders.js'
import { Networks } from './networks.js'
import { overlayOf } from './options.js'
import type { NodeOptions } from './options.js'
import { Files, Services } from './services.js'
import { Streams } from './streams.js'

/** Options of {@link WeftNode.perf}. */
export interface PerfOptions extends AbortOptions {
  /** Bytes to send (default 100 MiB). */
  bytes?: number
  /** `direct` (a connection of its own when the path allows, default) or `mesh` (a stream of the shared connection). */
  stream?: 'direct' | 'mesh'
}

/**
 * One weft device running in this process. Create it with {@link createNode}, then
 * {@link WeftNode.start} it; {@link WeftNode.stop} it before the process exits. While it runs,
 * the `weft` CLI and the web dashboard work against its home as against a `weft daemon`.
 */
export class WeftNode {
  /** Networks, invites and members. */
  readonly networks: Networks
  /** Synced folders. */
  readonly folders: Folders
  /** Exposed services, members' services and forwards. */
  readonly services: Services
  /** One-shot file transfers. */
  readonly files: Files
  /** Byte streams between members, by topic. */
  readonly streams: Streams
  /** The service catalog with health checks. */
  readonly catalog: Catalog
  /** The replicated key-value store. */
  readonly kv: Kv
  readonly #daemon: Daemon
  #state: 'created' | 'starting' | 'running' | 'stopped' = 'created'

  /** @internal Use {@link createNode}. */
  constructor (daemon: Daemon) {
    this.#daemon = daemon
    this.networks = new Networks(daemon.networks, daemon.mesh)
    this.folders = new Folders(daemon.sync)
    this.services = new Services(daemon.reach)
    this.files = new Files(daemon.reach)
    this.streams = new Streams(daemon.reach)
    this.catalog = new Catalog(daemon.catalog)
    this.kv = new Kv(daemon.catalog)
  }

  /** This device's ID (what members see; Syncthing's format). */
  get id (): DeviceId {
    return this.#daemon.key.deviceId
  }

  /** This device's name, as members see it. */
  get name (): string {
    return this.#daemon.config.deviceName
  }

  /** The home directory (absolute). */
  get home (): string {
    return this.#daemon.paths.root
  }

  /** True between a successful {@link WeftNode.start} and {@link WeftNode.stop}. */
  get running (): boolean {
    return this.#state === 'running'
  }

  /**
   * Starts networking, sync, reach, the catalog and the local API. Takes the home's lock: one
   * running node (or daemon) per home. If a part fails to start, what started is stopped and
   * the error is thrown. A node starts once; after {@link WeftNode.stop}, create a new one.
   */
  async start (): Promise<void> {
    if (this.#state !== 'created') throw new WeftError('INVALID_ARGUMENT', this.#state === 'stopped' ? 'a stopped node cannot start again: create a new one with createNode' : 'the node is already started')
    this.#state = 'starting'
    try {
      await this.#daemon.start()
    } catch (err) {
      this.#state = 'stopped'
      throw err
    }
    this.#state = 'running'
  }

  /** Stops everything this node runs, in reverse order, and releases the home. Safe to call twice. */
  async stop (): Promise<void> {
    if (this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopped'
    if (wasRunning) await this.#daemon.stop()
  }

  /** What `weft status` shows: device, API URL, listening addresses, networks, DNS and SOCKS5. */
  status (): StatusView {
    this.#requireRunning()
    return this.#daemon.status()
  }

  /**
   * Subscribes to an event; returns a function that unsubscribes. Listeners run synchronously
   * and must not throw (a throwing listener is reported as an uncaught exception).
   *
   * @example
   * ```ts
   * const off = node.on('member:online', ({ deviceId }) => console.log(deviceId, 'is online'))
   * ```
   */
  on<K extends keyof NodeEvents>(event: K, listener: (payload: NodeEvents[K]) => void): () => void {
    return subscribe(this.#daemon, event, listener)
  }

  /** A one-time sign-in link to the web dashboard served by this node's local API (valid 15 minutes). */
  dashboardLink (): string {
    this.#requireRunning()
    return this.#daemon.api.loginLink()
  }

  /** NAT type, reachability, relays, DHT health and the path to every member (`weft doctor`). */
  async doctor (options: AbortOptions = {}): Promise<DoctorReport> {
    this.#requireRunning()
    return await this.#daemon.doctor.report(options)
  }

  /** Measures stream throughput to a member, by device ID or name (`weft perf`). */
  async perf (device: string, options: PerfOptions = {}): Promise<PerfResult> {
    this.#requireRunning()
    const body = await checked(perfBody, { device, bytes: options.bytes, stream: options.stream })
    const id = this.#daemon.reach.resolveMember(body.device)
    return await this.#daemon.perf.measure(id, body.bytes, { signal: options.signal, stream: body.stream })
  }

  #requireRunning (): void {
    if (this.#state !== 'running') throw new WeftError('INVALID_ARGUMENT', 'the node is not running: call start() first')
  }
}

/**
 * Creates a node in `options.home`, initializing the home (a new device identity and config,
 * as `weft init` does) if it has none. The node is not started yet.
 *
 * @example
 * ```ts
 * import { createNode } from 'weft'
 * const node = await createNode({ home: '/var/lib/myapp/weft', name: 'kitchen-pi' })
 * await node.start()
 * const net = await node.networks.create('home')
 * console.log((await node.networks.invite(net.name)).code)
 * // ...
 * await node.stop()
 * ```
 * @throws {@link WeftError} `CONFIG_INVALID` when an option (or the home's config) is invalid,
 * `INVALID_ARGUMENT` when `home` is missing.
 */
export async function createNode (options: NodeOptions): Promise<WeftNode> {
  if (typeof options?.home !== 'string' || options.home === '') throw new WeftError('INVALID_ARGUMENT', 'createNode needs a home directory: createNode({ home: DIR })')
  const home = resolveHome(options.home)
  const overlay = overlayOf(options)
  if (!await isInitialized(home)) await initHome(home, { name: options.name, overlay })
  const daemon = await Daemon.open(home, { overlay, logger: options.logger, faults: new Set() })
  return new WeftNode(daemon)
}

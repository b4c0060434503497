/**
 * What the API routes need from the daemon, declared here so the routes depend on an
 * interface, not on the composition root.
 */
import type { DeviceId } from '../../core/ids.js'
import type { NetworkService } from '../../network/service.js'
import type { Perf } from '../../features/perf.js'
import type { ReachService } from '../../features/reach/service.js'
import type { SyncService } from '../../features/sync/service.js'
import type { Doctor } from '../../features/doctor.js'
import type { LinkTables } from '../../features/links.js'
import type { CatalogService } from '../../features/catalog/service.js'
import type { Pinger } from '../../features/ping.js'

/** `GET /api/v1/status`. */
export interface StatusView {
  deviceId: DeviceId
  /** The same identity as a libp2p peer ID (for /p2p/ addresses in --relays and --bootstrap). */
  peerId: string
  name: string
  version: string
  api: string
  pid: number
  home: string
  uptimeSeconds: number
  /**
   * Where the daemon's memory is (bytes): resident in all, the JavaScript heap (live objects
   * and what the heap holds), and memory outside it that JavaScript objects own (buffers).
   */
  memory: { rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number }
  addresses: string[]
  networks: Array<{ id: string, name: string, role: string, members: number, online: number }>
  /** Where the DNS server for .weft names listens (`HOST:PORT`), if on. */
  dns: string | null
  /** Where the SOCKS5 proxy listens (`HOST:PORT`), if on. */
  socks: string | null
}

/** The daemon as the API sees it. */
export interface ApiBackend {
  status: () => StatusView
  networks: NetworkService
  perf: Perf
  sync: SyncService
  reach: ReachService
  doctor: Doctor
  /** Members' link tables, for the dashboard's mesh picture. */
  links: LinkTables
  catalog: CatalogService
  /** `weft ping`. */
  pinger: Pinger
}

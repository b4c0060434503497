/**
 * The JSON the dashboard reads from the daemon's public API (/api/v1), as the daemon sends it.
 * Declared here, not imported from the daemon: the dashboard is a client like any other.
 */

/** GET /status */
export interface Status {
  deviceId: string
  name: string
  version: string
  api: string
  uptimeSeconds: number
  /** Bytes: resident in all, the JavaScript heap (live of total), buffers. */
  memory: { rss: number, heapUsed: number, heapTotal: number, external: number, arrayBuffers: number }
  addresses: string[]
  networks: Array<{ id: string, name: string, role: string, members: number, online: number }>
  dns: string | null
  socks: string | null
}

/** One network of GET /networks. */
export interface NetworkSummary {
  id: string
  name: string
  role: 'admin' | 'member' | 'removed'
  members: number
  online: number
  creator: string
}

/** How a member is reached. */
export type PathKind = 'lan' | 'direct' | 'relay'

/** One member of GET /networks/:net/members (and of GET /peers). */
export interface Member {
  deviceId: string
  name: string
  role: 'admin' | 'member'
  self: boolean
  online: boolean
  path: PathKind | null
  addresses: string[]
  rttMs: number | null
  lastSeen: number | null
  networks: string[]
  /** For a relayed path, the relay's device ID (daemons with relays send it). */
  relay?: string | null
}

/** POST /networks/:net/invites */
export interface Invite {
  code: string
  network: string
  expiresAt: number
  uses: number
}

/** File counts of a folder. */
export interface Counts { files: number, directories: number, symlinks: number, deleted: number, bytes: number }

/** One folder of GET /folders. */
export interface Folder {
  id: string
  label: string
  path: string
  network: string
  type: 'sendreceive' | 'sendonly' | 'receiveonly'
  state: 'idle' | 'scanning' | 'syncing' | 'error' | 'paused'
  error: string | null
  local: Counts
  global: Counts
  need: { files: number, bytes: number, deletes: number }
  progress: { bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number } | null
  scan: { filesHashed: number, bytesHashed: number } | null
  rateBytesPerSecond: number
  etaSeconds: number | null
  lastScanAt: number | null
  failed: Array<{ name: string, error: string }>
  peers: string[]
  /** Syncthing devices the folder is shared with. */
  syncthing?: string[]
}

/** A folder a member offers. */
export interface Offer { id: string, label: string, device: string, network: string | null }

/** GET /folders */
export interface FolderList { folders: Folder[], offered: Offer[] }

/** A conflict copy (GET /folders/:id/conflicts). */
export interface Conflict { name: string, size: number, modified: number }

/** A service this device exposes. */
export interface Exposed { name: string, port: number, host: string, network: string, allow: string[], udp: boolean }

/** A service a member exposes to this device. */
export interface RemoteService {
  device: string
  deviceName: string
  name: string
  port: number
  udp: boolean
  network: string
  networkName: string
  address: string | null
  online: boolean
}

/** GET /services */
export interface Services { exposed: Exposed[], remote: RemoteService[] }

/** Health of a catalog instance, as its device's checks report it. */
export type Health = 'passing' | 'warning' | 'critical'

/** One service instance in a network's catalog (GET /catalog). */
export interface CatalogInstance {
  name: string
  port: number
  address: string
  tags: string[]
  meta: Record<string, string>
  status: Health
  /** The last check's output (capped by the daemon). */
  output: string
  /** Registered in the catalog, or a service exposed with `weft expose`. */
  source: 'catalog' | 'expose'
  device: string
  deviceName: string
  network: string
  networkName: string
  /** The device's gossip state: alive, suspect, dead, left (or unknown). */
  memberState: string
  /** Passing, on a member that is neither dead nor gone: what DNS answers with. */
  healthy: boolean
}

/** GET /catalog */
export interface Catalog { index: number, instances: CatalogInstance[] }

/** GET /doctor (being added by the NAT traversal work; read defensively). */
export type Doctor = Record<string, unknown>

/** GET /networks/:net/links: every live link members report within the network. */
export interface MeshLinks {
  network: string
  edges: Array<{ from: string, to: string, path: PathKind, rttMs: number | null }>
  unanswered: string[]
}

/** One Syncthing device of GET /syncthing. */
export interface SyncthingDevice {
  id: string
  name: string
  addresses: string[]
  connected: boolean
  peer: { name: string, client: string, address: string } | null
  folders: string[]
}

/** GET /syncthing: this device's Syncthing ID (not its weft ID), its devices, and devices that called. */
export interface SyncthingDevices {
  id: string
  listen: string | null
  devices: SyncthingDevice[]
  pending: Array<{ device: string, address: string }>
}

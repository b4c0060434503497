/**
 * What the API and CLI show of a folder: state, counts, need, progress, rate and ETA.
 */
import type { DeviceId, NetworkId } from '../../core/ids.js'
import type { IndexStore } from './index/store.js'
import type { Counts } from './index/scan.js'
import type { FolderRunner, FolderState } from './folder-runner.js'
import type { FileInfo, FolderId, FolderType, ShortId } from './types.js'
import { shortIdString } from './model/vector.js'

/** One folder as `weft folder ls` and `status` show it. */
export interface FolderView {
  id: FolderId
  label: string
  path: string
  network: NetworkId
  /** The network's name, when this device knows it. */
  networkName: string | null
  type: FolderType
  state: FolderState
  error: string | null
  local: Counts
  global: Counts
  need: { files: number, bytes: number, deletes: number }
  progress: { bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number } | null
  /** Files and bytes hashed so far by the scan under way, if any. */
  scan: { filesHashed: number, bytesHashed: number } | null
  rateBytesPerSecond: number
  etaSeconds: number | null
  lastScanAt: number | null
  failed: Array<{ name: string, error: string }>
  /** Bytes of blocks received from peers since the daemon started. */
  bytesFromPeers: number
  /** Members that sent blocks failing verification (discarded), with how many, since start. */
  badBlocks: Array<{ device: DeviceId, count: number }>
  /** Members (and Syncthing devices) this folder is synced with right now. */
  peers: DeviceId[]
  /**
   * Those of `peers` whose records of the folder have not all arrived yet on the current
   * connection (until then, "nothing needed" only means nothing known to be needed).
   */
  indexPending: DeviceId[]
  /** Syncthing devices the folder is shared with. */
  syncthing: DeviceId[]
  /** Names of the devices above (peers, bad blocks, Syncthing devices), by device ID, where known. */
  deviceNames: Record<string, string>
}

/** A folder a member offers that this device has not added. */
export interface OfferView {
  id: FolderId
  label: string
  device: DeviceId
  /** The offering member's (or Syncthing device's) name, when known. */
  deviceName: string | null
  network: NetworkId | null
  /** The network's name, when known (what `--net` takes). */
  networkName: string | null
}

/** How views turn IDs into names (null when unknown). */
export interface Names {
  device: (id: DeviceId) => string | null
  network: (id: NetworkId) => string | null
}

/** Builds the view of a folder. */
export function folderView (runner: FolderRunner, index: IndexStore, peers: DeviceId[], names: Names, indexPending: DeviceId[] = []): FolderView {
  const { config } = runner
  // Kept counters (one row read): no pass over the folder's records.
  const { global, need } = index.overview(config.id, config.type)
  const rate = runner.rate.perSecond()
  const remaining = runner.progress !== undefined ? runner.progress.bytesTotal - runner.progress.bytesDone : need.bytes
  return {
    id: config.id,
    label: config.label,
    path: config.path,
    network: config.network,
    networkName: names.network(config.network),
    type: config.type,
    state: runner.state,
    error: runner.error ?? null,
    local: index.localCounts(config.id),
    global,
    need,
    progress: runner.progress ?? null,
    scan: runner.scanProgress ?? null,
    rateBytesPerSecond: Math.round(rate),
    etaSeconds: rate > 0 && remaining > 0 ? Math.round(remaining / rate) : null,
    lastScanAt: runner.lastScanAt ?? null,
    failed: runner.failedItems,
    bytesFromPeers: runner.bytesFromPeers,
    badBlocks: [...runner.badBlocks].map(([device, count]) => ({ device, count })),
    peers,
    indexPending,
    syncthing: [...(config.syncthing ?? [])],
    deviceNames: deviceNames([...peers, ...runner.badBlocks.keys(), ...(config.syncthing ?? [])], names)
  }
}

function deviceNames (ids: DeviceId[], names: Names): Record<string, string> {
  const out: Record<string, string> = {}
  for (const id of ids) {
    const name = names.device(id)
    if (name !== null) out[id] = name
  }
  return out
}

/** A device named by the short ID a file record holds (version counters, last modifier). */
export interface RecordDevice {
  /** The short ID in Syncthing's text form: the first 7 characters of the device ID ('' for none). */
  short: string
  /** The full device ID, when it is this device, a member or a known Syncthing device. */
  deviceId: DeviceId | null
  /** Its name, when known. */
  name: string | null
}

/** One file's record as `weft folder file` shows it (Syncthing's /rest/db/file, in short). */
export interface FileRecordView {
  name: string
  type: string
  size: number
  deleted: boolean
  invalid: boolean
  permissions: number
  modified: string
  /** The last modifier's short ID (16 hex digits). */
  modifiedBy: string
  /** The last modifier, as a device. */
  modifier: RecordDevice
  /** Version vector: counters by short ID (16 hex digits), with the device each stands for. */
  version: Array<{ id: string, value: string, device: RecordDevice }>
  sequence: number
  blockSize: number
  blocks: number
}

/** Finds the device and name behind a short ID; undefined when unknown. */
export type ShortIdLookup = (id: ShortId) => { deviceId: DeviceId, name: string | null } | undefined

function recordDevice (id: ShortId, lookup: ShortIdLookup): RecordDevice {
  const known = lookup(id)
  return { short: shortIdString(id), deviceId: known?.deviceId ?? null, name: known?.name ?? null }
}

/** The view of a file record (64-bit values as hex or decimal strings, so JSON keeps them exact). */
export function fileRecordView (f: FileInfo, lookup: ShortIdLookup = () => undefined): FileRecordView {
  return {
    name: f.name,
    type: f.type,
    size: f.size,
    deleted: f.deleted,
    invalid: f.invalid,
    permissions: f.permissions,
    modified: new Date(f.modifiedS * 1000 + Math.floor(f.modifiedNs / 1e6)).toISOString(),
    modifiedBy: f.modifiedBy.toString(16).padStart(16, '0'),
    modifier: recordDevice(f.modifiedBy, lookup),
    version: f.version.map((c) => ({ id: c.id.toString(16).padStart(16, '0'), value: c.value.toString(), device: recordDevice(c.id, lookup) })),
    sequence: f.sequence,
    blockSize: f.blockSize,
    blocks: f.blocks.length
  }
}

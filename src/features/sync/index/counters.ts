/**
 * Per-folder counters kept as records change, as Syncthing's metadata tracker does, so a
 * folder's status needs no pass over its index: the global state's counts, the local
 * device's counts and what the local device needs. Each name contributes to them by its
 * records; a write reads the name's few rows (only the columns the rules look at), takes its
 * contribution away, and adds the contribution of the rows as they will be. The sums live in
 * the `folder_counts` table and change in the same transaction as the records.
 *
 * Need is counted for send-receive folders: a receive-only folder needs the same pulls and
 * deletes (its local changes only turn "nothing needed" into "locally changed", which is
 * not counted), and a send-only folder needs nothing.
 */
import type Database from 'better-sqlite3'
import type { BepDeviceId, FileInfo } from '../types.js'
import { need, type DeviceRecord, type GlobalRules } from '../model/global.js'
import { selectGlobal } from '../model/global.js'
import { decodeType, decodeVector } from './codec.js'
import { emptyCounts, FileScanner, type Counts } from './scan.js'

/** How much the local device needs: names to pull (and their bytes), names to delete. */
export interface NeedCounts {
  files: number
  bytes: number
  deletes: number
}

/** Everything kept per folder. */
export interface FolderCounts {
  global: Counts
  local: Counts
  need: NeedCounts
}

/** All-zero folder counts. */
export function emptyFolderCounts (): FolderCounts {
  return { global: emptyCounts(), local: emptyCounts(), need: { files: 0, bytes: 0, deletes: 0 } }
}

/**
 * Adds (`sign` 1) or takes away (-1) one record to item counts, as the global and local
 * counts count it: invalid records and receive-only local changes do not count.
 */
export function addRecord (counts: Counts, r: DeviceRecord, sign = 1): void {
  const f = r.file
  if (f.invalid || r.locallyChanged === true) return
  if (f.deleted) counts.deleted += sign
  else if (f.type === 'file') {
    counts.files += sign
    counts.bytes += sign * f.size
  } else if (f.type === 'directory') counts.directories += sign
  else counts.symlinks += sign
}

/**
 * Adds (`sign` 1) or takes away (-1) the contribution of one name, given every device's
 * record of it, to `into`.
 */
export function addName (into: FolderCounts, records: readonly DeviceRecord[], localDevice: BepDeviceId, rules: GlobalRules, sign: 1 | -1): void {
  if (records.length === 0) return
  let local: DeviceRecord | undefined
  for (const r of records) if (r.device === localDevice) local = r
  if (local !== undefined) addRecord(into.local, local, sign)
  const selection = selectGlobal(records, rules)
  if (selection === undefined) return
  const global = selection.global
  addRecord(into.global, global, sign)
  const n = need(local, global, 'sendreceive', rules)
  if (n.kind === 'delete') into.need.deletes += sign
  else if (n.kind === 'pull') {
    into.need.files += sign
    if (global.file.type === 'file') into.need.bytes += sign * global.file.size
  }
}

/** The columns of `files` the counters look at. */
export interface CountRow {
  name: string
  device_idx: number
  type: number
  size: number
  deleted: number
  invalid: number
  locally_changed: number
  version: Uint8Array
  modified_s: number
  modified_ns: number
}

/** The columns of `files` the counters look at (see {@link CountRow}). */
export const countColumns = 'name, device_idx, type, size, deleted, invalid, locally_changed, version, modified_s, modified_ns'

/** How many names one lookup of {@link CountTracker.load} reads (unused places bind NULL). */
export const lookupChunk = 128

/** The rows of up to `slots` names (folder index, then names), with the columns the counters need. */
const countRowsSql = (slots: number): string => `SELECT ${countColumns}
  FROM files WHERE folder_idx = ? AND name IN (${Array.from({ length: slots }, () => '?').join(', ')})`
/** A lookup of a few names (a single pulled file, say) binds this many, not {@link lookupChunk}. */
const fewNames = 8
const lookupFewSql = countRowsSql(fewNames)
const lookupChunkSql = countRowsSql(lookupChunk)

/**
 * A record carrying what global selection and need look at (version, flags, type, size,
 * modification time); the rest is left empty. Good for counting only.
 */
export function countRecord (r: CountRow, device: BepDeviceId): DeviceRecord {
  const file: FileInfo = {
    name: r.name,
    type: decodeType(r.type),
    size: r.size,
    permissions: 0,
    modifiedS: r.modified_s,
    modifiedNs: r.modified_ns,
    modifiedBy: 0n,
    deleted: r.deleted !== 0,
    invalid: r.invalid !== 0,
    noPermissions: false,
    version: decodeVector(r.version),
    sequence: 0,
    blockSize: 0,
    blocks: [],
    symlinkTarget: ''
  }
  return r.locally_changed !== 0 ? { device, file, locallyChanged: true } : { device, file }
}

const scopes = ['global', 'local'] as const
const kinds = ['files', 'directories', 'symlinks', 'deleted', 'bytes'] as const
const needKinds = ['files', 'bytes', 'deletes'] as const
const columns = [...scopes.flatMap((s) => kinds.map((k) => `${s}_${k}`)), ...needKinds.map((k) => `need_${k}`)]

/** Reads a folder's counters (all zero when it has none). */
export const readCountsSql = `SELECT ${columns.join(', ')} FROM folder_counts WHERE folder_idx = ?`

/** Adds deltas to a folder's counters, creating its row at zero first if needed. */
export const addCountsSql = `INSERT INTO folder_counts (folder_idx, ${columns.join(', ')})
  VALUES (?, ${columns.map(() => '?').join(', ')})
  ON CONFLICT (folder_idx) DO UPDATE SET ${columns.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`

/** Replaces a folder's counters. */
export const setCountsSql = `INSERT OR REPLACE INTO folder_counts (folder_idx, ${columns.join(', ')})
  VALUES (?, ${columns.map(() => '?').join(', ')})`

/** The parameters of {@link addCountsSql} and {@link setCountsSql} after the folder index. */
export function countsParams (c: FolderCounts): number[] {
  return [...scopes.flatMap((s) => kinds.map((k) => c[s][k])), ...needKinds.map((k) => c.need[k])]
}

/** Folder counts from a row read by {@link readCountsSql} (zero when undefined). */
export function countsFromRow (row: Record<string, number> | undefined): FolderCounts {
  const out = emptyFolderCounts()
  if (row === undefined) return out
  for (const s of scopes) for (const k of kinds) out[s][k] = row[`${s}_${k}`] ?? 0
  for (const k of needKinds) out.need[k] = row[`need_${k}`] ?? 0
  return out
}

/** What a tracker needs of the store. */
export interface TrackerContext {
  stmt: (sql: string) => Database.Statement
  deviceId: (idx: number) => BepDeviceId
  localDevice: BepDeviceId
  rules: GlobalRules
}

/**
 * Sums the count changes of one write transaction in one folder. Before changing records,
 * `load` their names (a chunk at a time: the rows of all devices are read in one query and
 * kept until the next `load`); then report each change with `change` before writing it, and
 * `flush` inside the transaction at the end.
 */
export class CountTracker {
  /** The sum of the changes so far. */
  readonly delta = emptyFolderCounts()
  private current = new Map<string, Map<number, DeviceRecord>>()

  constructor (private readonly ctx: TrackerContext, private readonly folderIdx: number) {}

  /** Reads every device's record of these names (at most {@link lookupChunk}), replacing those loaded before. */
  load (names: readonly string[]): void {
    if (names.length > lookupChunk) throw new RangeError(`at most ${lookupChunk} names per load`)
    const slots = names.length <= fewNames ? fewNames : lookupChunk
    const params: Array<string | null> = [...names]
    while (params.length < slots) params.push(null)
    const rows = this.ctx.stmt(slots === fewNames ? lookupFewSql : lookupChunkSql).all(this.folderIdx, ...params) as CountRow[]
    this.current = new Map()
    for (const r of rows) {
      let byDevice = this.current.get(r.name)
      if (byDevice === undefined) this.current.set(r.name, byDevice = new Map<number, DeviceRecord>())
      byDevice.set(r.device_idx, countRecord(r, this.ctx.deviceId(r.device_idx)))
    }
  }

  /** Whether device `deviceIdx` has a record of a loaded name (as loaded, then changed). */
  has (name: string, deviceIdx: number): boolean {
    return this.current.get(name)?.has(deviceIdx) === true
  }

  /** Device `deviceIdx`'s record of a loaded name becomes `next` (undefined: is removed). */
  change (name: string, deviceIdx: number, next: DeviceRecord | undefined): void {
    const { localDevice, rules } = this.ctx
    let byDevice = this.current.get(name)
    if (byDevice === undefined) this.current.set(name, byDevice = new Map<number, DeviceRecord>())
    if (byDevice.size > 0) addName(this.delta, [...byDevice.values()], localDevice, rules, -1)
    if (next === undefined) byDevice.delete(deviceIdx)
    else byDevice.set(deviceIdx, next)
    if (byDevice.size > 0) addName(this.delta, [...byDevice.values()], localDevice, rules, 1)
  }

  /** Adds the changes to the folder's stored counters. Call inside the writing transaction. */
  flush (): void {
    this.ctx.stmt(addCountsSql).run(this.folderIdx, ...countsParams(this.delta))
  }
}

/**
 * Counts a folder by one pass over its records in name order (reading only the columns the
 * counters look at): how the counters are filled when a folder has none.
 */
export function countFolder (db: Database.Database, ctx: TrackerContext, folderIdx: number): FolderCounts {
  const out = emptyFolderCounts()
  for (const rows of new FileScanner<CountRow>(db, folderIdx, 2000, countColumns).groups()) {
    addName(out, rows.map((r) => countRecord(r, ctx.deviceId(r.device_idx))), ctx.localDevice, ctx.rules, 1)
  }
  return out
}

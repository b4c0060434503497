/**
 * The sync index: one SQLite file holding, per folder, every device's FileInfo records (the
 * local device's and what remotes announced), per-(folder, device) index IDs and sequence
 * positions for BEP's delta indexes, and a block index of local files (hash -> where) so the
 * puller can copy blocks it already has. Global state and need are computed per name with the
 * model's rules while paging through names, so memory stays bounded by the page size; the
 * folder's counts (global, local, need) are kept as records change (counters.ts), so a status
 * needs no pass.
 * Synchronous (better-sqlite3): one store per file, used from one thread.
 */
import { randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import { WeftError } from '../../../core/errors.js'
import type { BepDeviceId, FileInfo, FolderId, FolderType, IndexPosition } from '../types.js'
import { need, selectGlobal, type DeviceRecord, type GlobalRules, type Need } from '../model/global.js'
import { decodeType, fileValues, rowToFile, upsertFileSql, type FileRow } from './codec.js'
import { IndexKeys } from './ids.js'
import { openIndexDatabase } from './schema.js'
import { countDevice, FileScanner, type Counts } from './scan.js'
import {
  addRecord, countFolder, CountTracker, countsFromRow, countsParams, emptyFolderCounts, lookupChunk, readCountsSql, setCountsSql,
  type FolderCounts, type NeedCounts, type TrackerContext
} from './counters.js'

export type { Counts } from './scan.js'
export type { FolderCounts, NeedCounts } from './counters.js'

/** Options of `IndexStore.open`. */
export interface IndexStoreOptions {
  /** The database file (created if missing). */
  path: string
  /** This device's BEP ID; a database made for another device is refused. */
  localDevice: BepDeviceId
  /** Check the whole file for corruption when opening (slow on big indexes). */
  verify?: boolean
  /** Rule variations of global selection. */
  rules?: GlobalRules
}

/** A local record's metadata (no version vector, no blocks): what a scan compares with. */
export type LocalMeta = Pick<FileInfo, 'name' | 'type' | 'size' | 'permissions' | 'modifiedS' | 'modifiedNs' | 'deleted' | 'invalid' | 'symlinkTarget' | 'inode'>

/** A local record to store: a FileInfo, flagged when it is a receive-only local change. */
export type LocalFile = FileInfo & { locallyChanged?: boolean }

/** A name's global state: every device's record and the one that wins. */
export interface GlobalEntry {
  name: string
  global: DeviceRecord
  /** The local device's record, if it has one. */
  local: DeviceRecord | undefined
  /** Every record of this name, best first. */
  records: DeviceRecord[]
}

/** A name the local device needs (or, in special folders, differs on). */
export interface NeededEntry extends GlobalEntry {
  need: Need
}

/** Where a block with a given hash can be read locally. */
export interface BlockLocation {
  folder: FolderId
  name: string
  offset: number
  size: number
}

/** How many hashes one query of `findLocalBlocksMany` looks up (unused places bind NULL). */
const blockLookupChunk = 64

/** Up to `limit` local places of each of {@link blockLookupChunk} hashes, optionally in one folder. */
const findBlocksManySql = `SELECT hash, folder, name, offset, size FROM (
    SELECT b.hash AS hash, fo.folder_id AS folder, f.name AS name, b.offset AS offset, b.size AS size,
      row_number() OVER (PARTITION BY b.hash) AS n
    FROM blocks b JOIN files f ON f.id = b.file_id JOIN folders fo ON fo.idx = f.folder_idx
    WHERE b.hash IN (${Array.from({ length: blockLookupChunk }, () => '?').join(', ')}) AND (? IS NULL OR fo.folder_id = ?)
  ) WHERE n <= ?`

/** The sync index database. Create with `IndexStore.open`; `close` when done. */
export class IndexStore {
  /** This device's BEP ID. */
  readonly localDevice: BepDeviceId
  private readonly db: Database.Database
  private readonly rules: GlobalRules
  private readonly keys: IndexKeys
  private readonly localIdx: number

  private constructor (db: Database.Database, options: IndexStoreOptions) {
    this.db = db
    this.localDevice = options.localDevice
    this.rules = options.rules ?? {}
    this.keys = new IndexKeys(db)
    const stored = this.stmt('SELECT value FROM meta WHERE key = ?').get('local_device') as { value: string } | undefined
    if (stored === undefined) this.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run('local_device', options.localDevice)
    else if (stored.value !== options.localDevice) {
      throw new WeftError('CONFIG_INVALID', `sync index ${options.path} belongs to device ${stored.value}, not ${options.localDevice}`)
    }
    this.localIdx = this.keys.device(options.localDevice, true)
    this.fillCounts()
  }

  /** Opens or creates the index at `options.path`; CONFIG_INVALID if it is corrupt or foreign. */
  static open (options: IndexStoreOptions): IndexStore {
    if (!/^[0-9a-f]{64}$/.test(options.localDevice)) throw new WeftError('INVALID_ARGUMENT', 'local device ID must be 64 lowercase hex characters')
    const db = openIndexDatabase(options.path, { verify: options.verify })
    try {
      return new IndexStore(db, options)
    } catch (err) {
      db.close()
      throw err
    }
  }

  /** Closes the database. */
  close (): void {
    this.db.close()
  }

  /** Every folder the index knows. */
  folders (): FolderId[] {
    return (this.stmt('SELECT folder_id FROM folders ORDER BY folder_id').all() as Array<{ folder_id: string }>).map((r) => r.folder_id as FolderId)
  }

  /** Forgets a folder: its records of every device, block index entries and positions. */
  dropFolder (folder: FolderId): void {
    this.stmt('DELETE FROM folders WHERE folder_id = ?').run(folder)
    this.keys.forgetFolder(folder)
  }

  /** Forgets one device's records and position in a folder (e.g. when it stops sharing it). */
  dropDevice (folder: FolderId, device: BepDeviceId): void {
    if (device === this.localDevice) throw new WeftError('INVALID_ARGUMENT', 'use dropFolder to forget the local device\'s records')
    const f = this.keys.folder(folder, false)
    const d = this.keys.device(device, false)
    if (f === undefined || d === undefined) return
    this.db.transaction(() => {
      const counts = this.tracker(f)
      this.removeRecords(f, d, counts)
      this.stmt('DELETE FROM index_positions WHERE folder_idx = ? AND device_idx = ?').run(f, d)
      counts.flush()
    })()
  }

  /**
   * Stores local records (from a scan or a pull) in one transaction, giving each the next
   * local sequence number, and updates the local block index. Returns the records as stored.
   */
  updateLocal (folder: FolderId, files: readonly LocalFile[]): FileInfo[] {
    return this.db.transaction(() => {
      const f = this.keys.folder(folder, true)
      let seq = this.position(f, this.localIdx)?.maxSequence ?? 0
      if (seq === 0) this.localIndexId(folder)
      const out: FileInfo[] = []
      const counts = this.tracker(f)
      for (const [i, input] of files.entries()) {
        if (i % lookupChunk === 0) counts.load(files.slice(i, i + lookupChunk).map((x) => x.name))
        const { locallyChanged, ...file } = input
        const stored: FileInfo = { ...file, sequence: ++seq }
        const record: DeviceRecord = locallyChanged === true
          ? { device: this.localDevice, file: stored, locallyChanged: true }
          : { device: this.localDevice, file: stored }
        const replaces = counts.has(stored.name, this.localIdx)
        counts.change(stored.name, this.localIdx, record)
        const id = this.upsert(f, this.localIdx, stored, locallyChanged === true)
        if (replaces) this.stmt('DELETE FROM blocks WHERE file_id = ?').run(id)
        if (!stored.deleted && !stored.invalid && stored.type === 'file') {
          const add = this.stmt('INSERT OR IGNORE INTO blocks (hash, file_id, offset, size) VALUES (?, ?, ?, ?)')
          for (const b of stored.blocks) add.run(b.hash, id, b.offset, b.size)
        }
        out.push(stored)
      }
      this.stmt('UPDATE index_positions SET max_sequence = ? WHERE folder_idx = ? AND device_idx = ?').run(seq, f, this.localIdx)
      counts.flush()
      return out
    })()
  }

  /** Every local record of a folder, page by page (in sequence order). */
  * localFiles (folder: FolderId, pageSize = 2000): Generator<DeviceRecord> {
    let after = 0
    for (;;) {
      const page = this.localSince(folder, after, pageSize)
      yield * page
      if (page.length < pageSize) return
      after = page[page.length - 1]?.file.sequence ?? after
    }
  }

  /**
   * Metadata of the local records with names after `after` ('' for the first page) in name
   * order (SQLite BINARY: code point order), at most `limit`: what a scan compares entries
   * with, without version vector or block list.
   */
  localMetaAfter (folder: FolderId, after: string, limit: number): LocalMeta[] {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return []
    const rows = this.stmt(`SELECT name, type, size, permissions, modified_s, modified_ns, deleted, invalid, symlink_target, inode
      FROM files WHERE folder_idx = ? AND device_idx = ? AND name > ? ORDER BY name LIMIT ?`).raw(true)
      .all(f, this.localIdx, after, limit) as Array<[string, number, number, number, number, number, number, number, string, number | null]>
    const out = new Array<LocalMeta>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const [name, type, size, permissions, modifiedS, modifiedNs, deleted, invalid, symlinkTarget, inode] = rows[i]!
      out[i] = { name, type: decodeType(type), size, permissions, modifiedS, modifiedNs, deleted: deleted !== 0, invalid: invalid !== 0, symlinkTarget, inode: inode ?? undefined }
    }
    return out
  }

  /** Local records with a sequence above `after`, in sequence order, at most `limit` (delta index sends). */
  localSince (folder: FolderId, after: number, limit = 1000): DeviceRecord[] {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return []
    const rows = this.stmt('SELECT * FROM files WHERE folder_idx = ? AND device_idx = ? AND sequence > ? ORDER BY sequence LIMIT ?')
      .all(f, this.localIdx, after, limit) as FileRow[]
    return rows.map((r) => this.record(r))
  }

  /**
   * Applies a remote device's Index (`full`: replaces everything it announced before) or
   * IndexUpdate (upserts) in one transaction. Returns its new max sequence.
   */
  applyRemote (folder: FolderId, device: BepDeviceId, files: readonly FileInfo[], kind: 'full' | 'update'): number {
    if (device === this.localDevice) throw new WeftError('INVALID_ARGUMENT', 'remote index from the local device')
    return this.db.transaction(() => {
      const f = this.keys.folder(folder, true)
      const d = this.keys.device(device, true)
      const pos = this.position(f, d)
      const counts = this.tracker(f)
      if (kind === 'full') this.removeRecords(f, d, counts)
      let max = kind === 'full' ? 0 : pos?.maxSequence ?? 0
      for (const [i, file] of files.entries()) {
        if (i % lookupChunk === 0) counts.load(files.slice(i, i + lookupChunk).map((x) => x.name))
        const announced = { ...file }
        delete announced.inode
        counts.change(announced.name, d, { device, file: announced })
        this.upsert(f, d, announced, false)
        if (file.sequence > max) max = file.sequence
      }
      counts.flush()
      this.stmt(`INSERT INTO index_positions (folder_idx, device_idx, index_id, max_sequence) VALUES (?, ?, 0, ?)
        ON CONFLICT (folder_idx, device_idx) DO UPDATE SET max_sequence = excluded.max_sequence`).run(f, d, max)
      return max
    })()
  }

  /** One device's record of a name. */
  getFile (folder: FolderId, device: BepDeviceId, name: string): DeviceRecord | undefined {
    const f = this.keys.folder(folder, false)
    const d = this.keys.device(device, false)
    if (f === undefined || d === undefined) return undefined
    const row = this.stmt('SELECT * FROM files WHERE folder_idx = ? AND name = ? AND device_idx = ?').get(f, name, d) as FileRow | undefined
    return row === undefined ? undefined : this.record(row)
  }

  /** The global state of one name (every device's record and the winner), if any device has it. */
  globalEntry (folder: FolderId, name: string): GlobalEntry | undefined {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return undefined
    const rows = this.stmt('SELECT * FROM files WHERE folder_idx = ? AND name = ? ORDER BY device_idx').all(f, name) as FileRow[]
    const records = rows.map((r) => this.record(r))
    const selection = selectGlobal(records, this.rules)
    if (selection === undefined) return undefined
    return { name, global: selection.global, local: records.find((r) => r.device === this.localDevice), records: selection.ordered }
  }

  /** The local index ID of a folder, created (random, non-zero) on first use. */
  localIndexId (folder: FolderId): bigint {
    const f = this.keys.folder(folder, true)
    const pos = this.position(f, this.localIdx)
    if (pos !== undefined && pos.indexId !== 0n) return pos.indexId
    let id = 0n
    while (id === 0n) id = randomBytes(8).readBigUInt64BE(0)
    this.stmt(`INSERT INTO index_positions (folder_idx, device_idx, index_id, max_sequence) VALUES (?, ?, ?, 0)
      ON CONFLICT (folder_idx, device_idx) DO UPDATE SET index_id = excluded.index_id`).run(f, this.localIdx, BigInt.asIntN(64, id))
    return id
  }

  /** A device's index ID and max sequence in a folder (the local device's: what we announce). */
  indexPosition (folder: FolderId, device: BepDeviceId): IndexPosition | undefined {
    const f = this.keys.folder(folder, false)
    const d = this.keys.device(device, false)
    return f === undefined || d === undefined ? undefined : this.position(f, d)
  }

  /**
   * Records a remote device's index ID for a folder. A different ID than the stored one means
   * the remote started over: its records are dropped and its max sequence reset to 0 (returns
   * true); the same ID changes nothing (returns false).
   */
  setRemoteIndexId (folder: FolderId, device: BepDeviceId, indexId: bigint): boolean {
    if (device === this.localDevice) throw new WeftError('INVALID_ARGUMENT', 'use localIndexId for the local device')
    return this.db.transaction(() => {
      const f = this.keys.folder(folder, true)
      const d = this.keys.device(device, true)
      if (this.position(f, d)?.indexId === indexId) return false
      const counts = this.tracker(f)
      this.removeRecords(f, d, counts)
      counts.flush()
      this.stmt(`INSERT INTO index_positions (folder_idx, device_idx, index_id, max_sequence) VALUES (?, ?, ?, 0)
        ON CONFLICT (folder_idx, device_idx) DO UPDATE SET index_id = excluded.index_id, max_sequence = 0`)
        .run(f, d, BigInt.asIntN(64, indexId))
      return true
    })()
  }

  /**
   * The global state of every name in a folder, in name order, computed page by page
   * (`pageSize` rows at a time). Do not write between steps if you need a consistent snapshot.
   */
  * globals (folder: FolderId, pageSize = 2000, after?: string): Generator<GlobalEntry> {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return
    const scanner = new FileScanner(this.db, f, pageSize)
    for (const rows of scanner.groups(after)) {
      const records = rows.map((r) => this.record(r))
      const selection = selectGlobal(records, this.rules)
      if (selection === undefined) continue
      const local = records.find((r) => r.device === this.localDevice)
      yield { name: selection.global.file.name, global: selection.global, local, records: selection.ordered }
    }
  }

  /** The names the local device needs (or holds local changes of), by folder type, in name order. */
  * needed (folder: FolderId, folderType: FolderType, pageSize = 2000, after?: string): Generator<NeededEntry> {
    for (const entry of this.globals(folder, pageSize, after)) {
      const n = need(entry.local, entry.global, folderType, this.rules)
      if (n.kind !== 'none') yield { ...entry, need: n }
    }
  }

  /**
   * What the local device needs of each of `names` (those it needs nothing of are left out),
   * in the order given: a pull pass over the names an IndexUpdate just changed, instead of a
   * pass over the whole folder.
   */
  * neededNamed (folder: FolderId, folderType: FolderType, names: Iterable<string>): Generator<NeededEntry> {
    for (const name of names) {
      const entry = this.globalEntry(folder, name)
      if (entry === undefined) continue
      const n = need(entry.local, entry.global, folderType, this.rules)
      if (n.kind !== 'none') yield { ...entry, need: n }
    }
  }

  /** True when another device announced any record in this folder. */
  hasRemoteRecords (folder: FolderId): boolean {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return false
    return this.stmt('SELECT 1 FROM files WHERE folder_idx = ? AND device_idx != ? LIMIT 1').get(f, this.localIdx) !== undefined
  }

  /** Counts of the local device's valid records in a folder (bytes of existing files only). Kept, not computed. */
  localCounts (folder: FolderId): Counts {
    return this.counts(folder).local
  }

  /** Counts of the global state of a folder. Kept, not computed. */
  globalCounts (folder: FolderId): Counts {
    return this.counts(folder).global
  }

  /**
   * Global counts and what the local device needs (as {@link needed} yields it, counted): what
   * a status view shows. Kept as records change, so this reads one row. Sending-only folders
   * need nothing.
   */
  overview (folder: FolderId, folderType: FolderType): { global: Counts, need: NeedCounts } {
    const { global, need } = this.counts(folder)
    return { global, need: folderType === 'sendonly' ? { files: 0, bytes: 0, deletes: 0 } : need }
  }

  /**
   * @internal Counts a folder by a full pass over its whole records with the model's rules,
   * as status views did before counters were kept: what the kept counters must equal, for
   * tests. (Counters are filled, on upgrade to schema 2, by a lighter pass: `countFolder`.)
   */
  recount (folder: FolderId, folderType: FolderType = 'sendreceive'): FolderCounts {
    const f = this.keys.folder(folder, false)
    const out = emptyFolderCounts()
    if (f === undefined) return out
    out.local = countDevice(this.db, f, this.localIdx)
    for (const entry of this.globals(folder)) {
      addRecord(out.global, entry.global)
      if (folderType === 'sendonly') continue
      const n = need(entry.local, entry.global, folderType, this.rules)
      if (n.kind === 'delete') out.need.deletes++
      else if (n.kind === 'pull') {
        out.need.files++
        if (entry.global.file.type === 'file') out.need.bytes += entry.global.file.size
      }
    }
    return out
  }

  /** Local files holding a block with this SHA-256 (any folder unless one is given). */
  findLocalBlocks (hash: Uint8Array, folder?: FolderId, limit = 16): BlockLocation[] {
    const rows = this.stmt(`SELECT fo.folder_id AS folder, f.name AS name, b.offset AS offset, b.size AS size
      FROM blocks b JOIN files f ON f.id = b.file_id JOIN folders fo ON fo.idx = f.folder_idx
      WHERE b.hash = ? AND (? IS NULL OR fo.folder_id = ?) LIMIT ?`).all(hash, folder ?? null, folder ?? null, limit)
    return (rows as Array<{ folder: string, name: string, offset: number, size: number }>)
      .map((r) => ({ folder: r.folder as FolderId, name: r.name, offset: r.offset, size: r.size }))
  }

  /**
   * Local files holding blocks with these SHA-256 hashes, answered in one query per
   * {@link blockLookupChunk} hashes instead of one per hash: `result[i]` lists up to `limit`
   * places of `hashes[i]` (in the given folder if any), empty when there is none.
   */
  findLocalBlocksMany (hashes: readonly Uint8Array[], folder?: FolderId, limit = 16): BlockLocation[][] {
    const keyOf = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('latin1')
    // Each distinct hash once: SQLite's IN over the primary key would repeat a duplicate's rows.
    const unique = [...new Map(hashes.map((h) => [keyOf(h), h])).values()]
    const found = new Map<string, BlockLocation[]>()
    const query = this.stmt(findBlocksManySql)
    for (let i = 0; i < unique.length; i += blockLookupChunk) {
      const params: Array<Uint8Array | null> = unique.slice(i, i + blockLookupChunk)
      while (params.length < blockLookupChunk) params.push(null)
      const rows = query.all(...params, folder ?? null, folder ?? null, limit) as Array<{ hash: Buffer, folder: string, name: string, offset: number, size: number }>
      for (const r of rows) {
        const key = r.hash.toString('latin1')
        let list = found.get(key)
        if (list === undefined) found.set(key, list = [])
        list.push({ folder: r.folder as FolderId, name: r.name, offset: r.offset, size: r.size })
      }
    }
    return hashes.map((h) => [...(found.get(keyOf(h)) ?? [])])
  }

  private counts (folder: FolderId): FolderCounts {
    const f = this.keys.folder(folder, false)
    if (f === undefined) return emptyFolderCounts()
    return countsFromRow(this.stmt(readCountsSql).get(f) as Record<string, number> | undefined)
  }

  /** A tracker of count changes in folder `f` for one write transaction. */
  private tracker (f: number): CountTracker {
    return new CountTracker(this.trackerContext(), f)
  }

  private trackerContext (): TrackerContext {
    return { stmt: (sql) => this.stmt(sql), deviceId: (idx) => this.keys.deviceId(idx), localDevice: this.localDevice, rules: this.rules }
  }

  /** Deletes every record of device `d` in a folder, a page of names at a time, tracking the count changes. */
  private removeRecords (f: number, d: number, counts: CountTracker): void {
    const page = this.stmt('SELECT id, name FROM files WHERE folder_idx = ? AND device_idx = ? ORDER BY sequence LIMIT ?')
    const remove = this.stmt('DELETE FROM files WHERE id = ?')
    for (;;) {
      const rows = page.all(f, d, lookupChunk) as Array<{ id: number, name: string }>
      if (rows.length === 0) return
      counts.load(rows.map((r) => r.name))
      for (const r of rows) {
        counts.change(r.name, d, undefined)
        remove.run(r.id)
      }
    }
  }

  /**
   * Makes sure every folder has counters computed with this store's rules: after the upgrade
   * to schema 2 (or a change of rules) each folder is counted once by a full pass.
   */
  private fillCounts (): void {
    const rules = JSON.stringify({ deleteLosesConflicts: this.rules.deleteLosesConflicts === true })
    const stored = this.stmt('SELECT value FROM meta WHERE key = ?').get('count_rules') as { value: string } | undefined
    if (stored?.value !== rules) {
      this.db.transaction(() => {
        this.stmt('DELETE FROM folder_counts').run()
        this.stmt('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('count_rules', rules)
      })()
    }
    const missing = this.stmt('SELECT folder_id FROM folders WHERE idx NOT IN (SELECT folder_idx FROM folder_counts)').all() as Array<{ folder_id: string }>
    for (const { folder_id: folder } of missing) {
      this.db.transaction(() => {
        const f = this.keys.folder(folder as FolderId, true)
        this.stmt(setCountsSql).run(f, ...countsParams(countFolder(this.db, this.trackerContext(), f)))
      })()
    }
  }

  private upsert (f: number, d: number, file: FileInfo, locallyChanged: boolean): number {
    if (file.name === '') throw new WeftError('INVALID_ARGUMENT', 'a file record needs a name')
    const row = this.stmt(upsertFileSql).get(f, d, ...fileValues(file, locallyChanged)) as { id: number }
    return row.id
  }

  private record (r: FileRow): DeviceRecord {
    const rec: DeviceRecord = { device: this.keys.deviceId(r.device_idx), file: rowToFile(r) }
    if (r.locally_changed !== 0) rec.locallyChanged = true
    return rec
  }

  private position (f: number, d: number): IndexPosition | undefined {
    const row = this.stmt('SELECT index_id, max_sequence FROM index_positions WHERE folder_idx = ? AND device_idx = ?', true)
      .get(f, d) as { index_id: bigint, max_sequence: bigint } | undefined
    return row === undefined ? undefined : { indexId: BigInt.asUintN(64, row.index_id), maxSequence: Number(row.max_sequence) }
  }

  private stmt (sql: string, safeIntegers = false): Database.Statement {
    return this.keys.stmt(sql, safeIntegers)
  }
}

/**
 * Small-integer keys of the sync index: folder and device IDs map to row indexes of the
 * `folders` and `devices` tables (cached in memory; both tables stay small), and prepared
 * statements are cached by SQL text.
 */
import type Database from 'better-sqlite3'
import { WeftError } from '../../../core/errors.js'
import type { BepDeviceId, FolderId } from '../types.js'

/** Caches of folder/device indexes and prepared statements over one database. */
export class IndexKeys {
  // Keyed by the SQL text itself (one map per integer mode): a constant string hashes once,
  // whereas a key built per call would be hashed over its whole length on every call.
  private readonly statements = new Map<string, Database.Statement>()
  private readonly safeStatements = new Map<string, Database.Statement>()
  private readonly folders = new Map<string, number>()
  private readonly devices = new Map<string, number>()
  private readonly deviceNames = new Map<number, BepDeviceId>()

  constructor (private readonly db: Database.Database) {}

  /** A prepared statement; `safeIntegers` returns INTEGER columns as bigint. */
  stmt (sql: string, safeIntegers = false): Database.Statement {
    const cache = safeIntegers ? this.safeStatements : this.statements
    let s = cache.get(sql)
    if (s === undefined) {
      s = this.db.prepare(sql)
      if (safeIntegers) s.safeIntegers(true)
      cache.set(sql, s)
    }
    return s
  }

  /** The index of a folder, created when `create`; undefined for an unknown folder otherwise. */
  folder (folder: FolderId, create: true): number
  folder (folder: FolderId, create: boolean): number | undefined
  folder (folder: FolderId, create: boolean): number | undefined {
    const cached = this.folders.get(folder)
    if (cached !== undefined) return cached
    if (folder === '') throw new WeftError('INVALID_ARGUMENT', 'empty folder ID')
    if (create) this.stmt('INSERT OR IGNORE INTO folders (folder_id) VALUES (?)').run(folder)
    const row = this.stmt('SELECT idx FROM folders WHERE folder_id = ?').get(folder) as { idx: number } | undefined
    if (row !== undefined) this.folders.set(folder, row.idx)
    return row?.idx
  }

  /** Forgets a dropped folder's cached index. */
  forgetFolder (folder: FolderId): void {
    this.folders.delete(folder)
  }

  /** The index of a device, created when `create`; undefined for an unknown device otherwise. */
  device (device: BepDeviceId, create: true): number
  device (device: BepDeviceId, create: boolean): number | undefined
  device (device: BepDeviceId, create: boolean): number | undefined {
    const cached = this.devices.get(device)
    if (cached !== undefined) return cached
    if (create) this.stmt('INSERT OR IGNORE INTO devices (device_id) VALUES (?)').run(device)
    const row = this.stmt('SELECT idx FROM devices WHERE device_id = ?').get(device) as { idx: number } | undefined
    if (row === undefined) return undefined
    this.devices.set(device, row.idx)
    this.deviceNames.set(row.idx, device)
    return row.idx
  }

  /** The device ID of a device index. */
  deviceId (idx: number): BepDeviceId {
    const cached = this.deviceNames.get(idx)
    if (cached !== undefined) return cached
    const row = this.stmt('SELECT device_id FROM devices WHERE idx = ?').get(idx) as { device_id: string } | undefined
    if (row === undefined) throw new WeftError('CONFIG_INVALID', `sync index is corrupt: unknown device ${idx}`)
    this.deviceNames.set(idx, row.device_id as BepDeviceId)
    return row.device_id as BepDeviceId
  }
}

/**
 * The global version of a file and what a device needs, by Syncthing's rules (2.0's
 * internal/db/sqlite `fileRow.Compare` and `recalcGlobalForFile`, 1.x's `lib/db` `Need`):
 * records sort newest vector first; concurrent vectors are ordered by the conflict rule (an
 * invalid record loses, then the newer mtime wins, then the vector that is "concurrent greater");
 * equal vectors put valid before invalid, then order by device ID. The global version is the
 * first valid record, or the first record when all are invalid. Since Syncthing 2.0 (#10207)
 * a delete is a version like any other and can win a conflict; 1.x's "a modification always
 * beats a delete" is available as an option. Pure functions.
 */
import type { BepDeviceId, FileInfo, FolderType, ShortId } from '../types.js'
import { compareVectorsDetailed, mergeVectors, updateVector, vectorGreaterEqual } from './vector.js'
import { isConflictName } from './conflict.js'

export { conflictName, conflictMarker, isConflictName, isConflictCopyOf, nameExtension } from './conflict.js'
export type { ConflictNameOptions } from './conflict.js'

/** One device's record of a file, as the index holds it. */
export interface DeviceRecord {
  device: BepDeviceId
  file: FileInfo
  /**
   * Local-only: a change scanned in a receive-only folder (Syncthing's FlagLocalReceiveOnly).
   * Such a record never becomes the global version and is announced as invalid.
   */
  locallyChanged?: boolean
}

/** Variations of the rules. */
export interface GlobalRules {
  /**
   * Syncthing 1.x: in a conflict a modification always beats a delete. Default false, the 2.0
   * rule (a delete wins or loses like any other change, and a losing file is kept as a copy).
   */
  deleteLosesConflicts?: boolean
}

/** The result of global selection for one name. */
export interface GlobalSelection {
  /** The global record: the best valid one, or the best one when all are invalid. */
  global: DeviceRecord
  /** Every record, best first. */
  ordered: DeviceRecord[]
}

/** What a device should do about one file. */
export type NeedKind =
  | 'none' // in sync, or nothing can be done (global invalid, deleted everywhere we know)
  | 'pull' // fetch the global version (data and/or metadata)
  | 'delete' // the global version is a delete; remove the local item
  | 'locallyChanged' // receive-only: local change kept, not sent; revert with `revertedRecord`
  | 'outOfSync' // send-only: differs from the global version, which is never pulled

/** The need of one device for one file. */
export interface Need {
  kind: NeedKind
  /**
   * The local item must be kept as a conflict copy instead of being replaced or deleted: the
   * global version is concurrent with (not based on) the local one, the local one is a file
   * that exists, and its content differs.
   */
  conflict: boolean
}

/** True when a record cannot be the global version while a valid one exists. */
export function isInvalidRecord (r: DeviceRecord): boolean {
  return r.file.invalid || r.locallyChanged === true
}

/**
 * Orders two records of the same name: negative when `a` is better (sorts first). Total over
 * any fixed set given a fixed input order; `selectGlobal` canonicalises the input order.
 */
export function compareRecords (a: DeviceRecord, b: DeviceRecord, rules: GlobalRules = {}): number {
  const vc = compareVectorsDetailed(a.file.version, b.file.version)
  switch (vc) {
    case 'greater': return -1
    case 'lesser': return 1
    case 'equal':
      if (isInvalidRecord(a) !== isInvalidRecord(b)) return isInvalidRecord(a) ? 1 : -1
      return a.device < b.device ? -1 : a.device > b.device ? 1 : 0
    default:
      return winsConflict(a, b, rules) ? -1 : 1
  }
}

/**
 * Syncthing's `WinsConflict` for two records with concurrent vectors: the invalid one loses;
 * (1.x option) the delete loses; the newer modification time wins; on equal times the record
 * whose vector compares "concurrent greater" wins. Antisymmetric: exactly one of
 * `winsConflict(a, b)` and `winsConflict(b, a)` holds for concurrent vectors.
 */
export function winsConflict (a: DeviceRecord, b: DeviceRecord, rules: GlobalRules = {}): boolean {
  if (isInvalidRecord(a) !== isInvalidRecord(b)) return !isInvalidRecord(a)
  if (rules.deleteLosesConflicts === true && a.file.deleted !== b.file.deleted) return !a.file.deleted
  const t = compareModTime(a.file, b.file)
  if (t !== 0) return t > 0
  return compareVectorsDetailed(a.file.version, b.file.version) === 'concurrentGreater'
}

/**
 * Picks the global version among every device's record of one name. The result does not
 * depend on the order of `records` (they are first put in device-ID order), so every device
 * holding the same records picks the same global version. Undefined for no records.
 */
export function selectGlobal (records: readonly DeviceRecord[], rules: GlobalRules = {}): GlobalSelection | undefined {
  if (records.length === 0) return undefined
  const ordered = [...records]
    .sort((x, y) => (x.device < y.device ? -1 : x.device > y.device ? 1 : 0))
    .sort((x, y) => compareRecords(x, y, rules))
  const valid = ordered.find((r) => !isInvalidRecord(r))
  return { global: valid ?? (ordered[0] as DeviceRecord), ordered }
}

/**
 * What the local device needs for one name, given its record (if any), the global record and
 * the folder type. Mirrors Syncthing: the local device "has" the file when its record is the
 * global one or sorts before it (e.g. a receive-only change), has an equal version, or lacks
 * a file whose global version is a delete; nothing is needed for an invalid or versionless
 * global record.
 */
export function need (local: DeviceRecord | undefined, global: DeviceRecord | undefined, folderType: FolderType, rules: GlobalRules = {}): Need {
  const none: Need = { kind: 'none', conflict: false }
  const changedHere = folderType === 'receiveonly' && local?.locallyChanged === true
  if (global === undefined) return changedHere ? { kind: 'locallyChanged', conflict: false } : none
  const g = global.file
  const has = local === undefined
    ? g.deleted
    : compareVectorsDetailed(local.file.version, g.version) === 'equal' || compareRecords(local, global, rules) <= 0
  if (has || isInvalidRecord(global) || g.version.length === 0) {
    return changedHere ? { kind: 'locallyChanged', conflict: false } : none
  }
  if (folderType === 'sendonly') return { kind: 'outOfSync', conflict: false }
  const l = local?.file
  const conflict = l !== undefined && !l.deleted && l.type === 'file' && !vectorGreaterEqual(g.version, l.version) &&
    !sameContent(l, g)
  return { kind: g.deleted ? 'delete' : 'pull', conflict }
}

/** The outcome of a conflict between two concurrent records. */
export interface ConflictResolution {
  winner: DeviceRecord
  loser: DeviceRecord
  /**
   * Whether the loser's device keeps its item as a conflict copy: it is an existing file (not
   * a delete, directory or symlink) and not itself a conflict copy (Syncthing then discards it).
   */
  keepCopy: boolean
  /**
   * The short ID the copy's name carries. Syncthing's puller passes `file.ModifiedBy` of the
   * incoming (winning) record to `moveForConflict`, so this is the winner's modifier.
   */
  copyModifiedBy: ShortId
}

/**
 * Decides a conflict between two records the same way on every device: the order of the
 * arguments does not matter. Name the copy with `conflictName(loser.file.name, copyModifiedBy, now)`.
 */
export function resolveConflict (a: DeviceRecord, b: DeviceRecord, rules: GlobalRules = {}): ConflictResolution {
  const aFirst = compareRecords(a, b, rules) <= 0
  const winner = aFirst ? a : b
  const loser = aFirst ? b : a
  const l = loser.file
  const keepCopy = !l.deleted && l.type === 'file' && !isConflictName(l.name) && !sameContent(l, winner.file)
  return { winner, loser, keepCopy, copyModifiedBy: winner.file.modifiedBy }
}

/**
 * A record as announced to other devices (Syncthing): a receive-only local change goes out
 * invalid with the empty vector, so no other device considers itself out of date; the local
 * inode never leaves the device.
 */
export function announcedFile (record: DeviceRecord): FileInfo {
  const file = { ...record.file }
  delete file.inode
  return record.locallyChanged === true ? { ...file, invalid: true, version: [] } : file
}

/**
 * A receive-only folder's revert of a local change, as Syncthing does it: the record keeps its
 * content but gets the empty vector, strictly older than any other version and in conflict
 * with none, so the next pull replaces it without a conflict copy.
 */
export function revertedRecord (local: FileInfo): FileInfo {
  return { ...local, version: [] }
}

/**
 * A send-only folder's override of one needed file (Syncthing's `override`): the local record
 * takes a vector newer than both, so it becomes the global version; a file we lack becomes a
 * delete.
 */
export function overriddenRecord (local: FileInfo | undefined, global: FileInfo, self: ShortId, nowSeconds: number): FileInfo {
  const version = updateVector(mergeVectors(local?.version ?? [], global.version), self, nowSeconds)
  if (local !== undefined) return { ...local, version, sequence: 0 }
  return { ...global, deleted: true, size: 0, blocks: [], modifiedBy: self, version, sequence: 0 }
}

function compareModTime (a: FileInfo, b: FileInfo): number {
  if (a.modifiedS !== b.modifiedS) return a.modifiedS > b.modifiedS ? 1 : -1
  if (a.modifiedNs !== b.modifiedNs) return a.modifiedNs > b.modifiedNs ? 1 : -1
  return 0
}

function sameContent (a: FileInfo, b: FileInfo): boolean {
  if (a.deleted || b.deleted || a.type !== 'file' || b.type !== 'file' || a.size !== b.size) return false
  if (a.blocks.length !== b.blocks.length || a.blocks.length === 0 && a.size > 0) return false
  return a.blocks.every((x, i) => {
    const y = b.blocks[i]
    return y !== undefined && x.size === y.size && Buffer.compare(x.hash, y.hash) === 0
  })
}

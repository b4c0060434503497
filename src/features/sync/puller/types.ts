/**
 * What the puller depends on and reports, declared here and implemented elsewhere: the
 * BlockSource (the session layer asking remote devices for blocks), the LocalBlockFinder
 * (the index knowing which local files hold a block), the PullCommit (the index recording
 * what is now on disk, plus progress events) and the low-level write function (injectable so
 * tests can simulate a full disk).
 */
import type { BepDeviceId, FileInfo } from '../types.js'
import type { Versioner } from '../versioning/types.js'
import type { ByteBudget } from './budget.js'
import type { CheckedDirs } from '../fs/names.js'
import type { FolderFs, FsFile } from '../fs/types.js'

/** One block the puller wants from a remote device. */
export interface BlockRequest {
  /** Folder-relative name of the file as the remote device announced it. */
  name: string
  offset: number
  size: number
  /** Expected SHA-256 of the block (32 bytes). */
  hash: Uint8Array
  /** Index of the block in the file's block list. */
  blockNo: number
  /**
   * Devices the source may ask, in order of preference. The puller passes one device per
   * attempt, so that bad data can be attributed and the next device tried.
   */
  devices: BepDeviceId[]
}

/** Options of a block request. */
export interface BlockRequestOptions {
  signal: AbortSignal
}

/** Fetches blocks from remote devices (implemented by the session layer). */
export interface BlockSource {
  /**
   * Asks one of `req.devices` for the block and resolves with its bytes (unverified: the
   * puller checks the hash). Rejects when the device is unreachable or answers with an error.
   */
  request: (req: BlockRequest, options: BlockRequestOptions) => Promise<Uint8Array>
  /** Takes back the buffer of a block the puller has written (it is not used again). */
  release?: (data: Uint8Array) => void
  /** Told when `device` answered `req` with data whose hash or size is wrong. */
  reportBadBlock: (device: BepDeviceId, req: BlockRequest) => void
}

/** A place in a local file where a block with a given hash was seen at the last scan. */
export interface LocalBlock {
  /** Folder-relative name of the local file. */
  name: string
  offset: number
  size: number
}

/** Finds blocks already present in local files (implemented by the index). */
export interface LocalBlockFinder {
  /** Local places of blocks with this SHA-256; may be stale (the puller verifies). */
  find: (hash: Uint8Array) => LocalBlock[]
  /**
   * The places of many blocks at once (one query for a whole file), keyed by the hash in
   * lowercase hex; hashes with no known place may be missing from the map.
   */
  findMany?: (hashes: readonly Uint8Array[]) => Map<string, LocalBlock[]>
}

/** Progress of a pull run. */
export interface PullProgress {
  /** Bytes of regular files in place or written into temporary files. */
  bytesDone: number
  bytesTotal: number
  /** Entries finished (done, conflicted or failed). */
  filesDone: number
  filesTotal: number
  /** Name of the entry that made progress last. */
  currentFile?: string
}

/** Records pull results (implemented by the index). */
export interface PullCommit {
  /**
   * Called once an entry is in place (or gone): `file` is the pulled FileInfo with what is
   * now on disk (mtime as the file system stored it, inode, permissions), to be recorded as
   * the local version. Deletions are committed with `deleted: true`.
   */
  commit: (file: FileInfo) => void | Promise<void>
  /** Records several entries at once (one transaction); used instead of `commit` when given. */
  commitMany?: (files: FileInfo[]) => void | Promise<void>
  /** Called when an entry was left alone because it changed on disk since the last scan. */
  conflict?: (name: string, reason: string) => void
  /** Progress events (frequent: once per block). */
  onProgress?: (progress: PullProgress) => void
}

/** Writes `data` at `position` of an open file; rejects with the system error (ENOSPC, ...). */
export type WriteAtFn = (file: FsFile, data: Uint8Array, position: number) => Promise<void>

/** What the puller uses, besides the folder on disk. */
export interface PullDeps {
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
  source: BlockSource
  localBlocks?: LocalBlockFinder
  commit: PullCommit
  /** Archives files before a remote change replaces or deletes them (default: none). */
  versioner?: Versioner
  /** Block writer (default: a positional write loop); tests inject disk-full errors here. */
  writeAt?: WriteAtFn
}

/** Options of pulling one entry. */
export interface PullFileOptions {
  /** Devices that have this version of the file, in order of preference. */
  devices: BepDeviceId[]
  signal?: AbortSignal
  /** Do not apply permission bits, and do not compare them to detect local changes. */
  ignorePermissions?: boolean
  /** Tolerated mtime difference when checking for local changes (default 0: exact). */
  modTimeWindowMs?: number
  /** Blocks of one file fetched at once (default 16). */
  blocksInFlight?: number
  /** Bound on bytes of blocks in memory, shared by concurrent pulls (default: 64 MiB, this file only). */
  budget?: ByteBudget
  /** Called with a block's size once it is in the temporary file (progress). */
  onBytes?: (bytes: number) => void
  /**
   * Records the outcome in a batch (directory fsyncs and the index commit shared by many
   * entries) instead of one by one; the caller closes the batch. Without it each entry's
   * directory is fsynced and the entry committed before pullFile returns.
   */
  settle?: SettleQueue
  /** Directories checked recently (saves an lstat of every parent of every file). */
  checked?: CheckedDirs
}

/** Where pulled entries go to be made durable and recorded in batches (`SettleBatch`, settle.ts). */
export interface SettleQueue {
  /** Asks for `dir` to be fsynced before the batch holding the next entry is recorded. */
  syncDir: (dir: string) => void
  /** Queues `file` (now in place on disk) to be made durable and recorded with its batch. */
  add: (file: FileInfo) => void
}

/** How pulling one entry ended (failures are thrown as WeftErrors). */
export type PullOutcome =
  | { kind: 'updated', file: FileInfo }
  | { kind: 'deleted', file: FileInfo }
  /** Left alone: the entry changed on disk since the last scan (or is an unknown local entry). */
  | { kind: 'conflict', name: string, reason: string }

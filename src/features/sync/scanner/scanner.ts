/**
 * Scanning a folder into change candidates for the index: walks the folder in name order and
 * merges the walk with the index's previous records read in pages in the same order, skips
 * entries whose size, mtime (s+ns), inode and permissions match the previous record, hashes
 * the rest (a few files at a time, each worker with its own reused buffers), and lists the
 * previously known names that are gone (deleted) or now ignored. Version vectors and sequence
 * numbers are the index's business: records come out without them. A scan refuses to run
 * when the folder root or its `.stfolder` marker is missing, so an unmounted disk never reads
 * as "everything was deleted", and a name is only reported deleted once lstat confirms it is
 * absent after the walk.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import type { ErrorCode } from '../../../core/errors.js'
import type { AbortOptions } from '../../../core/lifecycle.js'
import { folderMarker } from '../ignore/internal.js'
import { noIgnores } from '../ignore/ignores.js'
import type { Ignores } from '../ignore/ignores.js'
import type { BlockInfo, FileInfo } from '../types.js'
import { checkAborted, fsError, isNotFoundError } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'
import { FileHasher } from './hasher.js'
import type { HashedFile, HashFileFn } from './hasher.js'
import { minimalPaths, walkFolderBatches } from './walker.js'
import { compareNames } from './order.js'
import { PreviousCursor } from './previous.js'
import type { PreviousMeta, PreviousPages } from './previous.js'
import type { WalkEntry } from './walker.js'

/** A scanned record: a FileInfo before the index gives it a version, sequence and author. */
export type ScannedFile = Omit<FileInfo, 'version' | 'sequence' | 'modifiedBy'>

/** A name the scan could not read; it is neither changed nor deleted this time. */
export interface ScanError {
  name: string
  code: ErrorCode
  message: string
}

/** The outcome of a scan. */
export interface ScanResult {
  /** New or changed entries (hashed when their content may have changed). */
  changed: ScannedFile[]
  /** Previously known, not deleted, and no longer on disk. */
  deleted: string[]
  /** Previously known, not deleted, and now matched by the ignore patterns. */
  ignored: string[]
  errors: ScanError[]
  /** Pulls' temporary files met on the way (the first {@link maxTemporariesReported}). */
  temporaries: string[]
}

/** Temporary files a scan reports at most (the rest are found by the scans after it). */
export const maxTemporariesReported = 10_000

/** Options of {@link scanFolder}. */
export interface ScanOptions extends AbortOptions {
  /** The folder root (absolute path). */
  root: string
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
  ignores?: Ignores
  /**
   * The index's current record of a name, if any: read for the top of a partial scan and
   * for the blocks of a file whose permissions alone changed.
   */
  previous: (name: string) => FileInfo | undefined
  /** The index's records of this folder in pages, in name order (see {@link PreviousPages}). */
  previousPages: PreviousPages
  /** Records asked of `previousPages` at a time (default 1000). */
  previousPageSize?: number
  /** Scan only these folder-relative paths (e.g. from the watcher); default: everything. */
  paths?: readonly string[]
  /** Hash function (default: FileHasher instances, one per concurrent hash). */
  hashFile?: HashFileFn
  /** Files hashed at once (default 8): overlaps opening and reading small files with hashing. */
  concurrency?: number
  /**
   * Hash files of up to 64 KiB with synchronous calls while they come from the page cache
   * (only with the built-in hasher). The scan still gives the event loop a turn every few
   * milliseconds, and falls back to the thread pool for a while after a slow read. Default
   * false: on 20,000 cached files of 1-10 KiB it took about 20% less CPU but 30% more time
   * than the thread pool, which runs open and read (the costly calls) beside the main thread.
   */
  hashInPlace?: boolean
  /** Called after each file is hashed, with its size (for progress). */
  onHashed?: (bytes: number) => void
  /**
   * Takes changed records in batches as the scan goes: at most a thousand, and sooner once
   * they hold 32 MiB of files or 250 ms passed (a large first scan is never held in memory
   * whole, and peers pull while it goes on); without it, every change ends up in `result.changed`.
   * `known` holds the names of the batch that had a previous record (deleted ones included):
   * the others are new, so there is no previous version to look up.
   */
  onChanged?: (batch: ScannedFile[], known: ReadonlySet<string>) => void
}

/** Changed records handed to `onChanged` at a time at most... */
const changedBatchSize = 1000
/** ...or once the batch's files hold this many bytes... */
const changedBatchBytes = 32 * 1024 * 1024
/** ...or once this long passed since the last batch. */
const changedBatchMs = 250

/**
 * Throws WeftError `NOT_FOUND` unless `root` is a directory containing the `.stfolder`
 * marker: a missing marker usually means an unmounted disk, and scanning it would announce
 * every file as deleted.
 */
export async function checkFolderPresent (root: string, fs: FolderFs = nodeFs): Promise<void> {
  try {
    if (!(await fs.stat(root)).isDirectory()) throw new WeftError('NOT_FOUND', `folder root ${root} is not a directory; refusing to scan`)
  } catch (err) {
    if (isNotFoundError(err)) throw new WeftError('NOT_FOUND', `folder root ${root} is missing (unmounted disk?); refusing to scan`, { cause: err })
    throw fsError(err, 'checking folder root', root)
  }
  try {
    await fs.lstat(join(root, folderMarker))
  } catch (err) {
    if (isNotFoundError(err)) {
      throw new WeftError('NOT_FOUND', `folder marker ${join(root, folderMarker)} is missing (unmounted disk?); refusing to scan so that files are not seen as deleted`, { cause: err })
    }
    throw fsError(err, 'checking folder marker', root)
  }
}

/** The record announcing that `previous` was deleted (the index adds the version). */
export function deletedRecord (previous: FileInfo): ScannedFile {
  return {
    name: previous.name,
    type: previous.type,
    size: 0,
    permissions: previous.permissions,
    modifiedS: previous.modifiedS,
    modifiedNs: previous.modifiedNs,
    deleted: true,
    invalid: false,
    noPermissions: previous.noPermissions,
    blockSize: 0,
    blocks: [],
    symlinkTarget: ''
  }
}

/** The content part of a record: from a fresh hash, or reused from the previous record. */
type Content = Pick<HashedFile, 'size' | 'blockSize'> & { blocks: readonly BlockInfo[] }

function toRecord (entry: WalkEntry, hashed?: Content): ScannedFile {
  const ns = entry.stats.mtimeNs
  return {
    name: entry.name,
    type: entry.type,
    size: hashed?.size ?? 0,
    permissions: Number(entry.stats.mode & 0o777n),
    modifiedS: Number(ns / 1_000_000_000n),
    modifiedNs: Number(ns % 1_000_000_000n),
    deleted: false,
    invalid: false,
    noPermissions: entry.type === 'symlink',
    blockSize: hashed?.blockSize ?? 0,
    blocks: hashed?.blocks ?? [],
    symlinkTarget: entry.symlinkTarget,
    inode: Number(entry.stats.ino)
  }
}

/** What to do with an entry given its previous record. */
type Decision = 'unchanged' | 'metadata' | 'hash'

/** Compares an entry with its previous record (exported for tests). */
export function decide (entry: WalkEntry, prev: PreviousMeta | undefined): Decision {
  if (prev === undefined || prev.deleted || prev.invalid || prev.type !== entry.type) return entry.type === 'file' ? 'hash' : 'metadata'
  if (entry.type === 'symlink') return prev.symlinkTarget === entry.symlinkTarget ? 'unchanged' : 'metadata'
  const samePermissions = prev.permissions === Number(entry.stats.mode & 0o777n)
  if (entry.type === 'directory') return samePermissions ? 'unchanged' : 'metadata'
  const ns = entry.stats.mtimeNs
  const sameContent = prev.size === Number(entry.stats.size) && prev.modifiedS === Number(ns / 1_000_000_000n) &&
    prev.modifiedNs === Number(ns % 1_000_000_000n) && (prev.inode === undefined || prev.inode === Number(entry.stats.ino))
  if (!sameContent) return 'hash'
  return samePermissions ? 'unchanged' : 'metadata'
}

/** True when `name` or one of its parent directories is in `set` ('' stands for the root). */
function underAny (set: ReadonlySet<string>, name: string): boolean {
  if (set.has('') || set.has(name)) return true
  for (let slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
    if (set.has(name.slice(0, slash))) return true
  }
  return false
}

function ignoredPath (ignores: Ignores, name: string): boolean {
  if (ignores.match(name).ignored) return true
  for (let slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
    if (ignores.skipIgnoredDirs && ignores.match(name.slice(0, slash)).ignored) return true
  }
  return false
}

/** Files up to this size may be hashed with synchronous calls (one read, microseconds when cached). */
const smallFileBytes = 65536n
/** An in-place hash slower than this read the disk: the next files go through the thread pool. */
const slowInPlaceMs = 2
const asyncAfterSlow = 256
/** Time after which the scan gives the event loop a turn. */
const turnBudgetMs = 3

/** Deletion candidates lstat'ed at once (the thread pool runs them in parallel). */
const goneCheckBatch = 64

/**
 * True when nothing is at `name` any more: lstat says not found, or a parent is no longer a
 * real directory (a symlink in its place is never followed). `dirs` caches parent checks.
 */
async function absent (fs: FolderFs, root: string, name: string, dirs: Map<string, boolean>): Promise<boolean> {
  try {
    for (let slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
      const parent = name.slice(0, slash)
      let isDir = dirs.get(parent)
      if (isDir === undefined) {
        isDir = await fs.lstat(join(root, parent)).then((st) => st.isDirectory(), (err: unknown) => { if (isNotFoundError(err)) return false; throw err })
        dirs.set(parent, isDir)
      }
      if (!isDir) return true
    }
    await fs.lstat(join(root, name))
    return false
  } catch (err) {
    return isNotFoundError(err)
  }
}

/** One scan's working state. */
class Scan {
  readonly result: ScanResult = { changed: [], deleted: [], ignored: [], errors: [], temporaries: [] }
  /** Previous records (not deleted) that the walk did not find. */
  readonly missing: PreviousMeta[] = []
  readonly unsure = new Set<string>()
  /** Names in `result.changed` that had a previous record. */
  private known = new Set<string>()
  /** Bytes of the files in the batch being collected, and when the last batch went. */
  private batchBytes = 0
  private lastFlush = performance.now()
  readonly ignores: Ignores
  readonly paths: string[]
  readonly fs: FolderFs
  private readonly hashers: HashFileFn[]
  /** Hashes small files in place (only with the built-in hasher). */
  private readonly syncHasher: FileHasher | undefined
  /** Files left to hash through the thread pool before trying in place again. */
  private syncOffFor = 0
  private turnStarted = performance.now()
  private readonly inflight = new Set<Promise<void>>()

  constructor (readonly opts: ScanOptions) {
    this.ignores = opts.ignores ?? noIgnores
    this.paths = minimalPaths(opts.paths ?? [''])
    this.fs = opts.fs ?? nodeFs
    const n = Math.max(1, opts.concurrency ?? 8)
    this.hashers = Array.from({ length: n }, () => opts.hashFile ?? new FileHasher({ fs: this.fs }).hashFile)
    this.syncHasher = opts.hashFile === undefined && opts.hashInPlace === true ? new FileHasher({ fs: this.fs }) : undefined
  }

  /** Records a change, handing a full batch to `onChanged` when there is one. */
  changed (record: ScannedFile, prev: PreviousMeta | undefined): void {
    this.result.changed.push(record)
    if (prev !== undefined) this.known.add(record.name)
    if (this.opts.onChanged === undefined) return
    this.batchBytes += record.size
    // Large files are announced as soon as a few are hashed, so peers start pulling while the
    // scan goes on (a first scan of big files otherwise holds them all back until its end).
    if (this.result.changed.length >= changedBatchSize || this.batchBytes >= changedBatchBytes || performance.now() - this.lastFlush >= changedBatchMs) this.flush()
  }

  /** Hands the changes collected so far to `onChanged`, if set. */
  flush (): void {
    if (this.opts.onChanged === undefined || this.result.changed.length === 0) return
    const batch = this.result.changed
    const known = this.known
    this.batchBytes = 0
    this.lastFlush = performance.now()
    this.result.changed = []
    this.known = new Set()
    this.opts.onChanged(batch, known)
  }

  error (name: string, err: WeftError): void {
    this.result.errors.push({ name, code: err.code, message: err.message })
    this.unsure.add(name)
  }

  /** A previous record with no entry on disk at its place in the walk. */
  unmatched (prev: PreviousMeta): void {
    if (!prev.deleted) this.missing.push(prev)
  }

  /** Walks one scanned path and merges it with the previous records under it. */
  async walk (top: string): Promise<void> {
    const topRecord = top === '' ? undefined : this.opts.previous(top)
    const cursor = new PreviousCursor(this.opts.previousPages, top, topRecord, this.opts.previousPageSize)
    let last: string | undefined
    for await (const batch of walkFolderBatches(this.opts.root, {
      ignores: this.ignores,
      fs: this.fs,
      paths: [top],
      signal: this.opts.signal,
      onTemporary: (name) => { if (this.result.temporaries.length < maxTemporariesReported) this.result.temporaries.push(name) }
    })) {
      for (const item of batch) {
        if (item.kind === 'error') {
          this.error(item.name, item.error)
          continue
        }
        const name = item.entry.name
        if (last !== undefined && compareNames(last, name) >= 0) {
          throw new WeftError('INTERNAL', `walk out of name order (${JSON.stringify(last)} before ${JSON.stringify(name)}); scan stopped so that nothing is seen as deleted`)
        }
        last = name
        let prev: PreviousMeta | undefined
        for (let r = cursor.peek(); r !== undefined; r = cursor.peek()) {
          const order = compareNames(r.name, name)
          if (order > 0) break
          cursor.take()
          if (order === 0) {
            prev = r
            break
          }
          this.unmatched(r)
        }
        await this.entry(item.entry, prev)
      }
    }
    for (let r = cursor.peek(); r !== undefined; r = cursor.peek()) {
      cursor.take()
      this.unmatched(r)
    }
  }

  async entry (entry: WalkEntry, prev: PreviousMeta | undefined): Promise<void> {
    const decision = decide(entry, prev)
    if (decision === 'unchanged') return
    if (decision === 'metadata') {
      if (entry.type !== 'file') {
        this.changed(toRecord(entry), prev)
        return
      }
      // Only the permissions changed: the content is the previous record's.
      const full = this.opts.previous(entry.name)
      if (full !== undefined && decide(entry, full) === 'metadata') {
        this.changed(toRecord(entry, full), prev)
        return
      }
    }
    if (this.hashInPlace(entry, prev)) {
      await this.pause()
      return
    }
    while (this.hashers.length === 0) await Promise.race(this.inflight)
    const hashFile = this.hashers.pop()
    if (hashFile === undefined) return
    const task = this.hash(entry, prev, hashFile).finally(() => {
      this.inflight.delete(task)
      this.hashers.push(hashFile)
    })
    this.inflight.add(task)
  }

  private async hash (entry: WalkEntry, prev: PreviousMeta | undefined, hashFile: HashFileFn): Promise<void> {
    try {
      this.hashed(entry, prev, await hashFile(entry.path, { signal: this.opts.signal }))
    } catch (err) {
      this.hashFailed(entry, prev, err)
    }
  }

  /**
   * Hashes a small file in place when the page cache answers fast; `false` when it was not
   * tried. A hash that took long (the disk was read) turns this off for the next few files.
   */
  private hashInPlace (entry: WalkEntry, prev: PreviousMeta | undefined): boolean {
    if (this.syncHasher === undefined || entry.stats.size > smallFileBytes || this.syncOffFor > 0) {
      if (this.syncOffFor > 0) this.syncOffFor--
      return false
    }
    const started = performance.now()
    try {
      const hashed = this.syncHasher.hashSmallFileSync(entry.path, Number(smallFileBytes), { signal: this.opts.signal })
      if (hashed === undefined) return false
      this.hashed(entry, prev, hashed)
    } catch (err) {
      this.hashFailed(entry, prev, err)
    } finally {
      if (performance.now() - started > slowInPlaceMs) this.syncOffFor = asyncAfterSlow
    }
    return true
  }

  private hashed (entry: WalkEntry, prev: PreviousMeta | undefined, hashed: HashedFile): void {
    // The blocks must describe the version the walker saw (size and mtime of the record).
    if (hashed.mtimeNs !== entry.stats.mtimeNs || BigInt(hashed.size) !== entry.stats.size) {
      this.error(entry.name, new WeftError('INTERNAL', `${entry.name}: changed while being hashed; it will be scanned again`))
      return
    }
    this.changed(toRecord(entry, hashed), prev)
    this.opts.onHashed?.(hashed.size)
  }

  private hashFailed (entry: WalkEntry, prev: PreviousMeta | undefined, err: unknown): void {
    const e = fsError(err, 'hashing', entry.path)
    if (e.code === 'ABORTED') return // scanFolder checks the signal once the workers are done
    if (e.code === 'NOT_FOUND') {
      if (prev !== undefined) this.unmatched(prev) // vanished: a deletion if known
    } else this.error(entry.name, e)
  }

  /** Gives the event loop a turn when this one has run for long enough. */
  async pause (): Promise<void> {
    if (performance.now() - this.turnStarted <= turnBudgetMs) return
    await nextTurn()
    this.turnStarted = performance.now()
  }

  async drain (): Promise<void> {
    await Promise.all(this.inflight)
  }

  /**
   * Sorts the records the walk did not find into ignored and deleted ones. A deletion is only
   * reported when lstat confirms nothing is there (an entry created after the walk passed
   * its place, or any disagreement between walk and index, is left for the next scan).
   */
  async gone (): Promise<void> {
    const dirs = new Map<string, boolean>()
    let batch: string[] = []
    const check = async (): Promise<void> => {
      checkAborted(this.opts.signal, `scanning ${this.opts.root}`)
      const gone = await Promise.all(batch.map(async (name) => await absent(this.fs, this.opts.root, name, dirs)))
      batch.forEach((name, i) => { if (gone[i] === true) this.result.deleted.push(name) })
      batch = []
    }
    for (const prev of this.missing) {
      const name = prev.name
      if (underAny(this.unsure, name)) continue
      if (ignoredPath(this.ignores, name)) {
        if (!prev.invalid) this.result.ignored.push(name) // already recorded as ignored otherwise
        continue
      }
      batch.push(name)
      if (batch.length >= goneCheckBatch) await check()
    }
    await check()
  }

}
/**
 * Scans the folder at `opts.root`. Throws WeftError `NOT_FOUND` when the root or its
 * `.stfolder` marker is missing (checked before and again before deletions are listed), and
 * `ABORTED` when the signal fires; unreadable entries end up in `errors` instead.
 * Memory: a page of previous records, the sorted listings of the directories being walked,
 * and the names found gone; never file contents.
 */
export async function scanFolder (opts: ScanOptions): Promise<ScanResult> {
  await checkFolderPresent(opts.root, opts.fs)
  const scan = new Scan(opts)
  try {
    for (const top of scan.paths) await scan.walk(top)
  } finally {
    await scan.drain() // hash tasks never reject
  }
  checkAborted(opts.signal, `scanning ${opts.root}`)
  scan.flush()
  await checkFolderPresent(opts.root, opts.fs)
  await scan.gone()
  return scan.result
}

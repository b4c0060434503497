/**
 * The puller: makes the folder on disk match the needed FileInfo records. {@link pullFile}
 * handles one entry (name validated before any file system call, then directory, symlink,
 * regular file or deletion) and records the result through PullCommit. {@link Puller} runs a
 * need list in Syncthing's order: directories (shallowest first), then files and symlinks a
 * few at a time within a global bound on bytes in flight, then deletions (files first, then
 * directories, deepest first) so that a file renamed remotely is rebuilt from its old copy
 * before that is deleted. One entry's failure does not stop the others; a full disk stops
 * everything (DiskFullError); so does the abort signal (`ABORTED`).
 */
import { setMaxListeners } from 'node:events'
import type { AbortOptions } from '../../../core/lifecycle.js'
import { WeftError, toWeftError } from '../../../core/errors.js'
import type { BepDeviceId, FileInfo } from '../types.js'
import { ByteBudget } from './budget.js'
import { DiskFullError } from '../fs/errors.js'
import { pullDelete, pullDirectory, pullSymlink } from './entries.js'
import { defaultBytesInFlight, pullRegularFile } from './file.js'
import { CheckedDirs, validateName } from '../fs/names.js'
import { SettleBatch } from './settle.js'
import type { PullDeps, PullFileOptions, PullOutcome, PullProgress } from './types.js'

/**
 * Pulls one entry into `folderRoot`: `file` is the needed record, `current` the index's
 * record of what is on disk now (undefined when there is none). Commits the outcome through
 * `deps.commit` (or reports the conflict) and returns it; throws WeftError on failure.
 */
export async function pullFile (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  validateName(file.name)
  if (file.invalid) throw new WeftError('INVALID_ARGUMENT', `${JSON.stringify(file.name)} is marked invalid: nothing to pull`)
  let outcome: PullOutcome
  if (file.deleted) outcome = await pullDelete(folderRoot, file, current, deps, options)
  else if (file.type === 'directory') outcome = await pullDirectory(folderRoot, file, current, deps, options)
  else if (file.type === 'symlink') outcome = await pullSymlink(folderRoot, file, current, deps, options)
  else outcome = await pullRegularFile(folderRoot, file, current, deps, options)
  if (outcome.kind === 'conflict') deps.commit.conflict?.(outcome.name, outcome.reason)
  else if (options.settle !== undefined) options.settle.add(outcome.file)
  else await deps.commit.commit(outcome.file)
  return outcome
}

/**
 * Files pulled at once by default. Many small files are latency-bound (a request's round
 * trip, a dozen file system calls): more of them in flight keep the link and the disk busy;
 * the byte budget bounds memory however many there are.
 */
const defaultConcurrency = 16

/** One entry of a need list. */
export interface NeededFile {
  /** The needed (global) record. */
  file: FileInfo
  /** The index's record of the local entry, if any. */
  current?: FileInfo
  /** Devices that have `file`'s version, in order of preference. */
  devices: BepDeviceId[]
}

/** Options of a {@link Puller}. */
export interface PullerOptions {
  /** Files pulled at once (default 16). */
  concurrency?: number
  /** Bound on bytes of blocks in memory across all files (default 64 MiB). */
  maxBytesInFlight?: number
  /** Blocks of one file fetched at once (default 16). */
  blocksInFlight?: number
  ignorePermissions?: boolean
  modTimeWindowMs?: number
}

/** What a run did. */
export interface PullSummary {
  updated: string[]
  deleted: string[]
  conflicts: Array<{ name: string, reason: string }>
  failed: Array<{ name: string, error: WeftError }>
}

function depth (name: string): number {
  return name.split('/').length
}

/** Runs need lists against one folder. */
export class Puller {
  private readonly budget: ByteBudget

  /**
   * @param folderRoot - absolute path of the folder
   * @param deps - block source, local block finder, commit hook, versioner
   */
  constructor (readonly folderRoot: string, private readonly deps: PullDeps, private readonly options: PullerOptions = {}) {
    this.budget = new ByteBudget(options.maxBytesInFlight ?? defaultBytesInFlight)
  }

  /** Pulls every entry of `need`; resolves with what happened, or throws DiskFullError / `ABORTED`. */
  async run (need: readonly NeededFile[], options: AbortOptions = {}): Promise<PullSummary> {
    const summary: PullSummary = { updated: [], deleted: [], conflicts: [], failed: [] }
    const stop = new AbortController()
    // Every entry in flight (and each of its blocks waiting for the byte budget) listens here.
    setMaxListeners(0, stop.signal)
    const onAbort = (): void => stop.abort(options.signal?.reason)
    if (options.signal?.aborted === true) onAbort()
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const progress: PullProgress = {
      bytesDone: 0,
      bytesTotal: need.reduce((sum, n) => sum + (!n.file.deleted && n.file.type === 'file' ? n.file.size : 0), 0),
      filesDone: 0,
      filesTotal: need.length
    }
    const emit = (name: string): void => this.deps.commit.onProgress?.({ ...progress, currentFile: name })
    let diskFull: DiskFullError | undefined
    // Finished entries are made durable and recorded in batches; parents checked once a second.
    const settle = new SettleBatch(this.deps.commit, this.deps.fs)
    const checked = new CheckedDirs()

    const one = async (item: NeededFile): Promise<void> => {
      const name = item.file.name
      try {
        const outcome = await pullFile(this.folderRoot, item.file, item.current, this.deps, {
          devices: item.devices,
          signal: stop.signal,
          ignorePermissions: this.options.ignorePermissions,
          modTimeWindowMs: this.options.modTimeWindowMs,
          blocksInFlight: this.options.blocksInFlight,
          budget: this.budget,
          settle,
          checked,
          onBytes: (bytes) => { progress.bytesDone += bytes; emit(name) }
        })
        if (outcome.kind === 'conflict') summary.conflicts.push({ name, reason: outcome.reason })
        else if (outcome.kind === 'deleted') summary.deleted.push(name)
        else summary.updated.push(name)
      } catch (err) {
        if (err instanceof DiskFullError) {
          diskFull ??= err
          stop.abort(err)
        }
        summary.failed.push({ name, error: toWeftError(err) })
      }
      progress.filesDone++
      emit(name)
    }

    const dirs = need.filter((n) => !n.file.deleted && n.file.type === 'directory')
      .sort((a, b) => depth(a.file.name) - depth(b.file.name) || a.file.name.localeCompare(b.file.name))
    const files = need.filter((n) => !n.file.deleted && n.file.type !== 'directory')
    const fileDeletes = need.filter((n) => n.file.deleted && n.file.type !== 'directory')
    const dirDeletes = need.filter((n) => n.file.deleted && n.file.type === 'directory')
      .sort((a, b) => depth(b.file.name) - depth(a.file.name) || b.file.name.localeCompare(a.file.name))
    const concurrency = this.options.concurrency ?? defaultConcurrency
    try {
      await runPool(dirs, 1, one, stop.signal)
      // Directories are recorded before the files in them are pulled (a crash leaves no file
      // whose directory the index does not know).
      await settle.flush()
      await runPool(files, concurrency, one, stop.signal)
      await runPool(fileDeletes, concurrency, one, stop.signal)
      await settle.flush()
      checked.clear()
      await runPool(dirDeletes, 1, one, stop.signal)
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      // Whatever is in place on disk is recorded, also when the run stops early.
      await settle.close()
    }
    if (diskFull !== undefined) throw diskFull
    if (stop.signal.aborted) throw new WeftError('ABORTED', 'pull aborted', { cause: options.signal?.reason })
    return summary
  }
}

/** Runs `fn` over `items`, `limit` at a time, starting nothing new once `signal` fires. */
async function runPool<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>, signal: AbortSignal): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const item = items[next++]
      if (item === undefined) return
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
}

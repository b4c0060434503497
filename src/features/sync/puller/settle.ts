/**
 * Recording pulled entries in batches, durably and in the right order. A pull renames each
 * finished entry into place and hands it here; a batch (a few hundred entries, or whatever
 * arrived within a few tens of milliseconds) is then made durable with one fsync per
 * directory it touched, and only after that recorded in the index in one commit. So the index
 * never says a file is there before its directory entry is on disk (a crash then would read
 * as a local deletion on the next scan), and a folder of many small files costs one directory
 * fsync and one transaction per batch instead of one of each per file.
 */
import type { FileInfo } from '../types.js'
import { errnoCode } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'
import type { PullCommit, SettleQueue } from './types.js'

/** Entries recorded per batch at most. */
const maxBatch = 500
/** How long an entry waits for others before its batch is recorded. */
const maxWaitMs = 50

/** Collects pulled entries and records them in batches (see the module comment). */
export class SettleBatch implements SettleQueue {
  readonly #commit: PullCommit
  readonly #fs: FolderFs
  #files: FileInfo[] = []
  #dirs = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  #failure: { err: unknown } | undefined

  constructor (commit: PullCommit, fs: FolderFs = nodeFs) {
    this.#commit = commit
    this.#fs = fs
  }

  /** Asks for `dir` to be fsynced before the batch holding the next entry is recorded. */
  syncDir (dir: string): void {
    this.#dirs.add(dir)
  }

  /** Queues `file` (now in place on disk) to be made durable and recorded with its batch. */
  add (file: FileInfo): void {
    this.#files.push(file)
    if (this.#files.length >= maxBatch) void this.flush()
    else this.#timer ??= setTimeout(() => { void this.flush() }, maxWaitMs)
  }

  /** Records what is queued now (also the directories asked for without entries). */
  async flush (): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const files = this.#files
    const dirs = [...this.#dirs]
    this.#files = []
    this.#dirs = new Set()
    // Batches are recorded in the order they were cut; after a failure nothing more is.
    const previous = this.#flushing
    const run = (async () => {
      await previous
      if (this.#failure !== undefined) return
      try {
        await Promise.all(dirs.map(async (dir) => { await syncIfThere(this.#fs, dir) }))
        if (files.length === 0) return
        if (this.#commit.commitMany !== undefined) await this.#commit.commitMany(files)
        else for (const f of files) await this.#commit.commit(f)
      } catch (err) {
        this.#failure ??= { err }
      }
    })()
    this.#flushing = run
    await run
  }

  /** Records everything queued; throws the first failure of any batch. */
  async close (): Promise<void> {
    await this.flush()
    if (this.#failure !== undefined) throw this.#failure.err
  }
}

/** fsync of a directory that may have been removed since (its removal is its parent's business). */
async function syncIfThere (fs: FolderFs, dir: string): Promise<void> {
  try {
    await fs.fsyncDir(dir)
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err
  }
}

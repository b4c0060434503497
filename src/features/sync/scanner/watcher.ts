/**
 * Watching a folder for changes with @parcel/watcher (inotify, FSEvents, ReadDirectoryChangesW):
 * events are collected into a set of folder-relative paths and reported once the folder has
 * been quiet for a while (1 s by default), or after a capped delay (10 s) while changes keep
 * coming, so a busy folder is still rescanned regularly. Internal names and temporary files
 * are dropped; a change to `.stignore` is flagged so the caller can reload the patterns.
 * A new directory is reported as itself; what is created inside it before the backend
 * watches it may be missed, so callers scan reported paths recursively (scanFolder's `paths`).
 */
import watcher from '@parcel/watcher'
import type { AsyncSubscription, Event } from '@parcel/watcher'
import { join, relative } from 'node:path'
import { WeftError, toWeftError } from '../../../core/errors.js'
import type { Startable } from '../../../core/lifecycle.js'
import { ignoreFileName, isInternal, isTemporary, normalizeName } from '../ignore/internal.js'
import type { Ignores } from '../ignore/ignores.js'

/** One debounced report of changes. */
export interface WatchBatch {
  /** Folder-relative paths (NFC, `/`) created, modified or deleted; sorted, no duplicates. */
  paths: string[]
  /** True when `.stignore` itself changed. */
  ignoreFileChanged: boolean
}

/** Options of a {@link FolderWatcher}. */
export interface FolderWatcherOptions {
  /** The folder root (absolute path). */
  root: string
  /** Called with each batch of changes. */
  onChange: (batch: WatchBatch) => void
  /** Called when the watch backend reports an error (the watch goes on if it can). */
  onError?: (err: WeftError) => void
  /** Current ignore patterns; paths they ignore are not reported. */
  ignores?: () => Ignores | undefined
  /** Quiet period before a batch is reported, in ms (default 1000). */
  quietMs?: number
  /** Longest wait from the first change of a batch to its report, in ms (default 10000). */
  maxDelayMs?: number
}

/** Watches one folder and reports debounced batches of changed paths; start()/stop(). */
export class FolderWatcher implements Startable {
  private subscription: AsyncSubscription | undefined
  private pending = new Set<string>()
  private ignoreFileChanged = false
  private firstAt = 0
  private timer: NodeJS.Timeout | undefined
  private readonly quietMs: number
  private readonly maxDelayMs: number

  constructor (private readonly opts: FolderWatcherOptions) {
    this.quietMs = opts.quietMs ?? 1000
    this.maxDelayMs = Math.max(opts.maxDelayMs ?? 10_000, this.quietMs)
  }

  /** Subscribes to the folder. Throws WeftError if the folder cannot be watched. */
  async start (): Promise<void> {
    if (this.subscription !== undefined) return
    const root = this.opts.root
    try {
      this.subscription = await watcher.subscribe(root, (err, events) => this.onEvents(err, events), {
        ignore: ['.stversions', '.weft'].map((name) => join(root, name))
      })
    } catch (err) {
      throw new WeftError('INTERNAL', `cannot watch ${root}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
  }

  /** Unsubscribes and drops changes not yet reported (the next full scan covers them). */
  async stop (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending.clear()
    this.ignoreFileChanged = false
    const sub = this.subscription
    this.subscription = undefined
    if (sub !== undefined) await sub.unsubscribe()
  }

  private onEvents (err: Error | null, events: Event[]): void {
    if (this.subscription === undefined) return
    if (err !== null) {
      this.opts.onError?.(toWeftError(err))
      return
    }
    const ignores = this.opts.ignores?.()
    for (const event of events) {
      const name = normalizeName(relative(this.opts.root, event.path))
      if (name === '' || name.startsWith('../')) continue
      if (name === ignoreFileName) this.ignoreFileChanged = true
      else if (isInternal(name) || isTemporary(name) || ignores?.match(name).ignored === true) continue
      else this.pending.add(name)
    }
    this.schedule()
  }

  private schedule (): void {
    if (this.pending.size === 0 && !this.ignoreFileChanged) return
    const now = Date.now()
    if (this.timer === undefined) this.firstAt = now
    clearTimeout(this.timer)
    const delay = Math.max(0, Math.min(this.quietMs, this.firstAt + this.maxDelayMs - now))
    this.timer = setTimeout(() => this.flush(), delay)
  }

  private flush (): void {
    this.timer = undefined
    const batch: WatchBatch = { paths: [...this.pending].sort(), ignoreFileChanged: this.ignoreFileChanged }
    this.pending = new Set()
    this.ignoreFileChanged = false
    try {
      this.opts.onChange(batch)
    } catch (err) {
      this.opts.onError?.(toWeftError(err))
    }
  }
}

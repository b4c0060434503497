/**
 * Runs one folder: scans (on start, on watcher batches, periodically), records local changes
 * in the index with new versions, and pulls what the global state says it needs, one task at a
 * time. A folder whose root or `.stfolder` marker is missing stops in the error state and
 * announces nothing, so an unmounted disk never turns into deletes on other devices.
 */
import { join } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Logger } from '../../core/log.js'
import type { DeviceId } from '../../core/ids.js'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { IndexStore, LocalFile, NeededEntry } from './index/store.js'
import { checkFolderPresent, deletedRecord, scanFolder } from './scanner/scanner.js'
import type { ScannedFile } from './scanner/scanner.js'
import { FolderWatcher } from './scanner/watcher.js'
import { loadIgnores } from './ignore/load.js'
import type { Ignores } from './ignore/ignores.js'
import { Puller } from './puller/puller.js'
import { removeStaleTemporaries } from './puller/temporaries.js'
import type { NeededFile } from './puller/puller.js'
import type { BlockSource, LocalBlock } from './puller/types.js'
import { createVersioner } from './versioning/index.js'
import { emptyVector, updateVector } from './model/vector.js'
import { compareVectors } from './model/vector.js'
import { conflictName, resolveConflict } from './model/global.js'
import { adoptableGlobal } from './model/adopt.js'
import type { FolderConfig } from './config.js'
import type { BepDeviceId, FileInfo, ShortId } from './types.js'
import { RateMeter } from './rate.js'
import { nodeFs } from './fs/node.js'
import type { FolderFs } from './fs/types.js'

/** Needed files pulled per batch (bounds the memory of a large pull). */
const pullBatchSize = 2000
/**
 * Milliseconds a pass over every name spends taking one batch before it gives the event loop
 * a turn: with no peer online, every needed file of a 1,000,000-file folder is only counted as
 * waiting, and one synchronous loop over them held the daemon for a minute (its links timed
 * out, so it stayed offline).
 */
const needBatchBudgetMs = 50
/** Changed names remembered for the next pull pass; past this, the pass covers every name. */
const maxNamedPull = 20_000

/** States a folder can be in (Syncthing's names). */
export type FolderState = 'idle' | 'scanning' | 'syncing' | 'error' | 'paused'

/** What the runner needs from the sync service. */
export interface FolderRunnerDeps {
  index: IndexStore
  self: BepDeviceId
  selfShort: ShortId
  blocks: BlockSource
  /** Peers online now that share this folder. */
  onlinePeers: () => Set<BepDeviceId>
  /** Local records changed: announce them. */
  onLocalChange: () => void
  /** Something worth telling the API's event stream. */
  onStateChange: () => void
  log: Logger
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

/** Progress of the current pull. */
export interface PullProgressView {
  bytesDone: number
  bytesTotal: number
  filesDone: number
  filesTotal: number
}

/** Drives one folder. */
export class FolderRunner {
  config: FolderConfig
  state: FolderState = 'idle'
  error: string | undefined
  lastScanAt: number | undefined
  progress: PullProgressView | undefined
  /** Files and bytes hashed so far by the scan under way, if any. */
  scanProgress: { filesHashed: number, bytesHashed: number } | undefined
  failedItems: Array<{ name: string, error: string }> = []
  /** Bytes of blocks received from peers since start (renames and copies add nothing). */
  bytesFromPeers = 0
  /** Blocks that failed verification, per member that sent them, since start. */
  readonly badBlocks = new Map<DeviceId, number>()
  readonly rate = new RateMeter()
  readonly #deps: FolderRunnerDeps
  readonly #fs: FolderFs
  #watcher?: FolderWatcher
  #timer?: NodeJS.Timeout
  #retry?: NodeJS.Timeout
  #scanWanted: Set<string> | 'all' | undefined
  /** A pull pass to run: over every name, or over the names whose records changed. */
  #pullWanted: Set<string> | 'all' | undefined
  #running?: Promise<void>
  /**
   * Set by start(), cleared by stop(). Nothing runs before start: a pull asked for by a member's
   * index before the first scan would act on what the index recorded, not on what is on disk
   * (files renamed into place just before a crash, not yet recorded), as Syncthing never does.
   */
  #started = false
  #abort = new AbortController()
  #ignores: Ignores | undefined

  constructor (config: FolderConfig, deps: FolderRunnerDeps) {
    this.config = config
    this.#deps = deps
    this.#fs = deps.fs ?? nodeFs
  }

  async start (): Promise<void> {
    if (this.#started) return
    if (this.config.paused) {
      this.state = 'paused'
      return
    }
    this.#abort = new AbortController()
    this.#started = true
    this.requestScan()
    this.#timer = setInterval(() => { this.requestScan() }, this.config.rescanIntervalS * 1000).unref()
    if (this.config.watch) {
      const watcher = new FolderWatcher({
        root: this.config.path,
        ignores: () => this.#ignores,
        onChange: (batch) => { this.requestScan(batch.ignoreFileChanged ? undefined : batch.paths) },
        onError: (err) => { this.#deps.log.warn({ folder: this.config.id, err: err.message }, 'watcher error') }
      })
      try {
        await watcher.start()
        this.#watcher = watcher
      } catch (err) {
        this.#deps.log.warn({ folder: this.config.id, err: (err as Error).message }, 'cannot watch folder; relying on periodic rescans')
      }
    }
  }

  async stop (): Promise<void> {
    this.#started = false
    this.#abort.abort()
    clearInterval(this.#timer)
    clearTimeout(this.#retry)
    await this.#watcher?.stop()
    this.#watcher = undefined
    await this.#running?.catch(() => {})
  }

  /** Asks for a scan of everything, or of some folder-relative paths. */
  /** Notes that `device` sent a block that failed verification (shown in the folder's status). */
  noteBadBlock (device: DeviceId): void {
    this.badBlocks.set(device, (this.badBlocks.get(device) ?? 0) + 1)
    this.#deps.onStateChange()
  }

  requestScan (paths?: readonly string[]): void {
    if (paths === undefined || this.#scanWanted === 'all') this.#scanWanted = 'all'
    else {
      this.#scanWanted ??= new Set()
      for (const p of paths) this.#scanWanted.add(p)
    }
    this.#kick()
  }

  /**
   * Asks for a pull pass (after the index learned something): over `names` only, when given
   * (the names whose records just changed: need depends on a name's records alone), else over
   * every name of the folder. Without this, each IndexUpdate of a large first sync made a pass
   * over the whole folder, quadratic in its size.
   */
  requestPull (names?: Iterable<string>): void {
    if (names === undefined || this.#pullWanted === 'all') this.#pullWanted = 'all'
    else {
      const wanted = this.#pullWanted ?? new Set<string>()
      for (const name of names) wanted.add(name)
      this.#pullWanted = wanted.size > maxNamedPull ? 'all' : wanted
    }
    this.#kick()
  }

  #kick (): void {
    if (!this.#started || this.#running !== undefined || this.state === 'paused' || this.#abort.signal.aborted) return
    this.#running = this.#loop().finally(() => { this.#running = undefined })
  }

  async #loop (): Promise<void> {
    while (!this.#abort.signal.aborted && (this.#scanWanted !== undefined || this.#pullWanted !== undefined)) {
      try {
        if (this.#scanWanted !== undefined) {
          const wanted = this.#scanWanted
          this.#scanWanted = undefined
          await this.#scan(wanted === 'all' ? undefined : [...wanted])
        } else {
          const wanted = this.#pullWanted
          this.#pullWanted = undefined
          await this.#pull(wanted === 'all' ? undefined : wanted)
        }
        if (this.state === 'error') this.#setState('idle', undefined)
      } catch (err) {
        const e = toWeftError(err)
        if (e.code === 'ABORTED') return
        this.#deps.log.warn({ folder: this.config.id, err: e.message }, 'folder stopped')
        this.#setState('error', e.message)
        this.#pullWanted = undefined
        return
      }
    }
    if (this.state !== 'error') this.#setState('idle', undefined)
  }

  #setState (state: FolderState, error: string | undefined): void {
    if (this.state === state && this.error === error) return
    this.state = state
    this.error = error
    this.#deps.onStateChange()
  }

  async #scan (paths: string[] | undefined): Promise<void> {
    const { index, self, selfShort } = this.#deps
    const folder = this.config.id
    this.#setState('scanning', undefined)
    await checkFolderPresent(this.config.path, this.#fs)
    this.#ignores = await loadIgnores(this.config.path, { fs: this.#fs })
    const now = Math.floor(Date.now() / 1000)
    const receiveOnly = this.config.type === 'receiveonly'
    const versioned = (prev: FileInfo | undefined): Pick<FileInfo, 'version' | 'modifiedBy' | 'sequence'> =>
      ({ version: updateVector(prev?.version ?? emptyVector, selfShort, now), modifiedBy: selfShort, sequence: 0 })
    // A previous version is looked up only for names the scan found a record of.
    // An entry that already is the global version (pulled and renamed into place, not yet
    // recorded when the device stopped) takes that version rather than a concurrent one.
    const remote = index.hasRemoteRecords(folder)
    const toLocal = (changed: readonly ScannedFile[], known?: ReadonlySet<string>): LocalFile[] => changed.map((scanned) => {
      const prev = known === undefined || known.has(scanned.name) ? index.getFile(folder, self, scanned.name)?.file : undefined
      const global = remote ? index.globalEntry(folder, scanned.name)?.global : undefined
      const adopted = global !== undefined && (prev === undefined || compareVectors(prev.version, global.file.version) !== 'equal') ? adoptableGlobal(scanned, global) : undefined
      if (adopted !== undefined) return { ...scanned, version: adopted.version, modifiedBy: adopted.modifiedBy, sequence: 0 }
      return { ...scanned, ...versioned(prev), ...(receiveOnly ? { locallyChanged: true } : {}) }
    })
    // Names whose local record this scan changes: need depends on a name's records alone.
    const touched = new Set<string>()
    const result = await scanFolder({
      root: this.config.path,
      fs: this.#fs,
      ignores: this.#ignores,
      paths,
      signal: this.#abort.signal,
      previous: (name) => index.getFile(folder, self, name)?.file,
      previousPages: (after, limit) => index.localMetaAfter(folder, after, limit),
      onHashed: (bytes) => {
        const p = this.scanProgress ?? { filesHashed: 0, bytesHashed: 0 }
        this.scanProgress = { filesHashed: p.filesHashed + 1, bytesHashed: p.bytesHashed + bytes }
      },
      // Changes are committed in batches as the scan goes: a first scan of a large folder is
      // never held whole in memory, and members see files sooner.
      onChanged: (batch, known) => {
        for (const f of batch) touched.add(f.name)
        index.updateLocal(folder, toLocal(batch, known))
        this.#deps.onLocalChange()
      }
    }).finally(() => { this.scanProgress = undefined })
    const records: LocalFile[] = toLocal(result.changed)
    for (const name of result.deleted) {
      const prev = index.getFile(folder, self, name)?.file
      if (prev === undefined) continue
      records.push({ ...deletedRecord(prev), ...versioned(prev), ...(receiveOnly ? { locallyChanged: true } : {}) })
    }
    for (const name of result.ignored) {
      const prev = index.getFile(folder, self, name)?.file
      if (prev !== undefined) records.push({ ...prev, invalid: true, sequence: 0 })
    }
    for (const e of result.errors) this.#deps.log.warn({ folder, name: e.name, err: e.message }, 'could not scan')
    this.lastScanAt = Date.now()
    for (const r of records) touched.add(r.name)
    if (records.length > 0) {
      index.updateLocal(folder, records)
      this.#deps.onLocalChange()
    }
    const removed = await removeStaleTemporaries(this.config.path, result.temporaries, {
      fs: this.#fs,
      stillNeeded: (name) => [...index.neededNamed(folder, this.config.type, [name])].some((e) => e.need.kind === 'pull')
    })
    if (removed.length > 0) this.#deps.log.info({ folder, count: removed.length }, 'removed temporary files no pull will resume')
    // A scan of everything is followed by a pass over every name (also the periodic retry of
    // whatever failed). A scan of some paths (the watcher's, often reporting the puller's own
    // writes while a big pull runs) asks only for the names it changed: a pass over every
    // name after each such scan read the whole index again every few seconds of a pull.
    if (paths === undefined) this.#pullWanted = 'all'
    else if (touched.size > 0) this.requestPull(touched)
  }

  async #pull (names?: ReadonlySet<string>): Promise<void> {
    // As before a scan: nothing is pulled into a folder whose root or marker is gone (an
    // unmounted disk), and a pass that finds it gone keeps the folder in its error state.
    await checkFolderPresent(this.config.path, this.#fs)
    if (this.config.type === 'sendonly') return
    // The need list is taken and pulled in batches (name order, resuming after the last name of
    // the previous batch), so memory stays bounded however many files a folder needs.
    const { index } = this.#deps
    const folder = this.config.id
    // A pass over every name finds nothing when the kept counters say nothing is to be pulled
    // or deleted (they count exactly what the pass acts on): after each scan of an unchanged
    // folder, that pass read the whole index (about 30 s at 100,000 files on a busy machine).
    if (names === undefined) {
      const { need } = index.overview(folder, this.config.type)
      if (need.files === 0 && need.deletes === 0) {
        this.failedItems = []
        return
      }
    }
    const sorted = names === undefined ? undefined : [...names].sort()
    let after: string | undefined
    let offset = 0
    let waiting = 0
    let changed = false
    const failedItems: Array<{ name: string, error: string }> = []
    for (;;) {
      let batch: { needs: NeededFile[], waiting: number, last?: string }
      if (sorted === undefined) batch = await this.#neededBatch(index.needed(folder, this.config.type, 2000, after), needBatchBudgetMs)
      else {
        const chunk = sorted.slice(offset, offset + pullBatchSize)
        offset += chunk.length
        batch = await this.#neededBatch(index.neededNamed(folder, this.config.type, chunk))
        batch.last = offset < sorted.length ? chunk[chunk.length - 1] : undefined
      }
      waiting += batch.waiting
      if (batch.needs.length > 0) {
        const summary = await this.#pullBatch(batch.needs)
        failedItems.push(...summary.failed)
        changed ||= summary.changed
      }
      if (batch.last === undefined) break
      after = batch.last
      await nextTurn()
    }
    // A pass over some names keeps what earlier passes reported of the others.
    const earlier = names === undefined ? [] : this.failedItems.filter((f) => !names.has(f.name))
    this.failedItems = [...earlier, ...failedItems].slice(0, 1000)
    if (changed) this.#deps.onLocalChange()
    if (failedItems.length > 0) this.#scheduleRetry(failedItems.length)
    this.#scheduleRetry(waiting)
  }

  /**
   * Up to `pullBatchSize` needed files of `entries` (name order), taken for at most `budgetMs`
   * when given; `last` is set when more may follow.
   */
  async #neededBatch (entries: Iterable<NeededEntry>, budgetMs = Infinity): Promise<{ needs: NeededFile[], waiting: number, last?: string }> {
    const { self } = this.#deps
    const folder = this.config.id
    const online = this.#deps.onlinePeers()
    const needs: NeededFile[] = []
    let waiting = 0
    let last: string | undefined
    const started = performance.now()
    for (const entry of entries) {
      if (needs.length >= pullBatchSize || (last !== undefined && performance.now() - started > budgetMs)) return { needs, waiting, last }
      last = entry.name
      if (entry.need.kind !== 'pull' && entry.need.kind !== 'delete') continue
      const file = entry.global.file
      const devices = entry.records
        .filter((r) => r.device !== self && online.has(r.device) && !r.file.invalid && compareVectors(r.file.version, file.version) === 'equal')
        .map((r) => r.device)
      const needsData = file.type === 'file' && !file.deleted && file.size > 0
      if (needsData && devices.length === 0) { waiting++; continue }
      let current = entry.local?.file
      if (entry.need.conflict && entry.local !== undefined && current !== undefined && !current.deleted) {
        // Keep the losing local version as a conflict copy; it syncs like any file.
        const { copyModifiedBy } = resolveConflict(entry.local, entry.global)
        const copy = conflictName(file.name, copyModifiedBy, new Date())
        await this.#fs.rename(join(this.config.path, current.name), join(this.config.path, copy))
        this.#deps.log.info({ folder, name: file.name, copy }, 'conflict: kept the local version as a copy')
        this.requestScan([copy])
        current = undefined
      }
      needs.push({ file, current, devices })
    }
    return { needs, waiting }
  }

  async #pullBatch (needs: NeededFile[]): Promise<{ failed: Array<{ name: string, error: string }>, changed: boolean }> {
    const { index } = this.#deps
    const folder = this.config.id
    this.#setState('syncing', undefined)
    const puller = new Puller(this.config.path, {
      fs: this.#fs,
      source: this.#deps.blocks,
      localBlocks: {
        find: (hash) => index.findLocalBlocks(hash, folder),
        findMany: (hashes) => {
          const found = index.findLocalBlocksMany(hashes, folder)
          const byHash = new Map<string, LocalBlock[]>()
          hashes.forEach((h, i) => { if ((found[i]?.length ?? 0) > 0) byHash.set(Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex'), found[i] ?? []) })
          return byHash
        }
      },
      versioner: createVersioner(this.config.versioning, this.#fs),
      commit: {
        commit: (f) => { index.updateLocal(folder, [{ ...f, sequence: 0 }]) },
        commitMany: (files) => { index.updateLocal(folder, files.map((f) => ({ ...f, sequence: 0 }))) },
        conflict: (name, reason) => { this.#deps.log.info({ folder, name, reason }, 'left a locally changed file alone'); this.requestScan([name]) },
        onProgress: (p) => {
          this.rate.add(p.bytesDone)
          this.progress = { bytesDone: p.bytesDone, bytesTotal: p.bytesTotal, filesDone: p.filesDone, filesTotal: p.filesTotal }
        }
      }
    })
    try {
      const summary = await puller.run(needs, { signal: this.#abort.signal })
      return { failed: summary.failed.map((f) => ({ name: f.name, error: f.error.message })), changed: summary.updated.length + summary.deleted.length > 0 }
    } finally {
      this.progress = undefined
      this.rate.reset()
    }
  }

  #scheduleRetry (count: number): void {
    if (count === 0 || this.#retry !== undefined) return
    this.#retry = setTimeout(() => { this.#retry = undefined; this.requestPull() }, 10_000).unref()
  }
}

/** Throws NOT_FOUND when the folder's root or marker is gone. */
export async function assertFolderPresent (config: FolderConfig, fs: FolderFs = nodeFs): Promise<void> {
  try {
    await checkFolderPresent(config.path, fs)
  } catch (err) {
    throw new WeftError('NOT_FOUND', (err as Error).message)
  }
}

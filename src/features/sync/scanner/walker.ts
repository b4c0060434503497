/**
 * Walking a folder: yields every file, directory and symlink under the root (or under some
 * sub-paths) with its lstat, never following symlinks, skipping internal names, temporary
 * files, special files and ignored entries. Names come out NFC with `/` separators, in code
 * point order of the whole name ({@link compareNames}: the index's order), so the scanner can
 * merge the walk with the index's records page by page instead of looking each name up.
 * One directory listing is read at a time (one round trip); the entries are then lstat'ed with
 * synchronous calls in short runs, giving the event loop back every couple of milliseconds.
 * Memory: the sorted names of the directories on the current path, nothing read from files.
 */
import { join, sep } from 'node:path'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { WeftError } from '../../../core/errors.js'
import type { AbortOptions } from '../../../core/lifecycle.js'
import { isInternal, isTemporary, normalizeName } from '../ignore/internal.js'
import { noIgnores } from '../ignore/ignores.js'
import type { Ignores } from '../ignore/ignores.js'
import type { FileType } from '../types.js'
import { checkAborted, fsError, isNotFoundError } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs, FsDirent, FsStats } from '../fs/types.js'
import { compareNames, isUnder } from './order.js'

/** One entry found on disk. */
export interface WalkEntry {
  /** Folder-relative name: NFC, `/`-separated. */
  name: string
  /** Absolute path on disk (the on-disk spelling, which may not be NFC). */
  path: string
  type: FileType
  stats: FsStats
  /** Target of a symlink, '' otherwise. */
  symlinkTarget: string
}

/** What the walk yields: an entry, or an error about one name (the walk goes on). */
export type WalkItem =
  | { kind: 'entry', entry: WalkEntry }
  | { kind: 'error', name: string, error: WeftError }

/** Options of {@link walkFolder}. */
export interface WalkOptions extends AbortOptions {
  ignores?: Ignores
  /** Walk only these folder-relative paths (each a file or a directory, walked recursively). */
  paths?: readonly string[]
  /**
   * Called with the name of each pull's temporary file (`.syncthing.NAME.tmp`) met on the way:
   * never yielded as entries, they are the folder runner's to clean up.
   */
  onTemporary?: (name: string) => void
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

/** What a walk decides by: the file system, the ignore patterns, and where temporary files are reported. */
interface WalkRules {
  fs: FolderFs
  ignores: Ignores
  onTemporary?: (name: string) => void
}

interface PendingDir {
  name: string
  diskRel: string
}

/**
 * Drops paths inside other listed paths, and duplicates; '' (the root) covers everything.
 * The result is in {@link compareNames} order.
 */
export function minimalPaths (paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map(normalizeName))].sort(compareNames)
  const out: string[] = []
  for (const p of sorted) {
    // A path's ancestors sort before it, though not always right before it ('a' < 'a-b' < 'a/b').
    if (out.some((top) => isUnder(top, p))) continue
    out.push(p)
  }
  return out
}

function typeOf (stats: FsStats): FileType | undefined {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isSymbolicLink()) return 'symlink'
  return undefined
}

/** Reads one entry's metadata; `undefined` when it vanished or is not a file, directory or symlink. */
async function readWalkEntry (fs: FolderFs, root: string, name: string, diskRel: string): Promise<WalkEntry | undefined> {
  const path = join(root, diskRel)
  let stats: FsStats
  try {
    stats = await fs.lstat(path)
  } catch (err) {
    if (isNotFoundError(err)) return undefined
    throw fsError(err, 'reading metadata of', path)
  }
  const type = typeOf(stats)
  if (type === undefined) return undefined
  let symlinkTarget = ''
  if (type === 'symlink') {
    try {
      symlinkTarget = await fs.readlink(path)
    } catch (err) {
      if (isNotFoundError(err)) return undefined
      throw fsError(err, 'reading symlink', path)
    }
  }
  return { name, path, type, stats, symlinkTarget }
}

/**
 * {@link readWalkEntry} with synchronous calls (an lstat of a cached inode takes microseconds).
 * `base` is the normalized root ending in a separator.
 */
function inspectSync (fs: FolderFs, base: string, name: string, diskRel: string): WalkEntry | undefined {
  const path = base + diskRel
  let stats: FsStats | undefined
  try {
    stats = fs.lstatSync(path)
  } catch (err) {
    if (isNotFoundError(err)) return undefined
    throw fsError(err, 'reading metadata of', path)
  }
  const type = stats === undefined ? undefined : typeOf(stats)
  if (stats === undefined || type === undefined) return undefined
  let symlinkTarget = ''
  if (type === 'symlink') {
    try {
      symlinkTarget = fs.readlinkSync(path)
    } catch (err) {
      if (isNotFoundError(err)) return undefined
      throw fsError(err, 'reading symlink', path)
    }
  }
  return { name, path, type, stats, symlinkTarget }
}

function isSkippedName (name: string): boolean {
  return isInternal(name) || isTemporary(name)
}

/**
 * A place in a directory's sorted listing: an entry to lstat and yield, an error, or the
 * point where the walk descends into a subdirectory (key `name/`: a directory's contents sort
 * after siblings such as `name-x` or `name.txt`, before `name0`).
 */
interface Slot {
  key: string
  name: string
  diskRel: string
  /** Ignored, but a directory walked for re-included entries (`!` patterns): not yielded. */
  ignored: boolean
  /** For a descent: the slot of the directory entry, whose lstat must say "directory". */
  descendInto?: Slot
  /** Set once lstat'ed and found to be a real directory. */
  isDirectory?: boolean
  /** The directory's own size (lstat), a hint of how long listing it takes. */
  dirSize?: bigint
  error?: WeftError
}

/** Entries lstat'ed per step, and the time after which a step gives the event loop back. */
const runLength = 256
const turnBudgetMs = 3

/**
 * Directories at most this big (their lstat size; about 2,000 entries on ext4) are listed with
 * one synchronous call, which takes about a millisecond; larger ones, and those of unknown
 * size, through the thread pool.
 */
const syncListingBytes = 65536n

/** Reads and sorts one directory's listing (`base`: the normalized root ending in a separator). */
async function listDir (base: string, dir: PendingDir, rules: WalkRules, dirSize?: bigint): Promise<Slot[]> {
  const { ignores } = rules
  const path = base + dir.diskRel
  let dirents: FsDirent[]
  try {
    dirents = dirSize !== undefined && dirSize <= syncListingBytes
      ? rules.fs.readdirSync(path)
      : await rules.fs.readdir(path)
  } catch (err) {
    if (dir.name !== '' && isNotFoundError(err)) return []
    return [{ key: `${dir.name}/`, name: dir.name, diskRel: dir.diskRel, ignored: false, error: fsError(err, 'listing directory', path) }]
  }
  const seen = new Set<string>()
  const slots: Slot[] = []
  for (const dirent of dirents) {
    const nfc = dirent.name.normalize('NFC')
    const name = dir.name === '' ? nfc : `${dir.name}/${nfc}`
    if (isSkippedName(name)) {
      if (rules.onTemporary !== undefined && isTemporary(name) && !isInternal(name) && dirent.isFile()) rules.onTemporary(name)
      continue
    }
    const diskRel = dir.diskRel === '' ? dirent.name : `${dir.diskRel}/${dirent.name}`
    if (seen.has(nfc)) {
      slots.push({ key: name, name, diskRel, ignored: true, error: new WeftError('ALREADY_EXISTS', `${name}: another entry of ${path} has the same name after Unicode normalization`) })
      continue
    }
    seen.add(nfc)
    const ignored = ignores.match(name).ignored
    const maybeDir = dirent.isDirectory()
    if (ignored && (!maybeDir || ignores.skipIgnoredDirs)) continue
    const slot: Slot = { key: name, name, diskRel, ignored }
    slots.push(slot)
    if (maybeDir) slots.push({ key: `${name}/`, name, diskRel, ignored, descendInto: slot })
  }
  return slots.sort((a, b) => compareNames(a.key, b.key))
}

/** Gives the event loop a turn when this one has run for long enough. */
async function pause (started: { at: number }): Promise<void> {
  if (performance.now() - started.at <= turnBudgetMs) return
  await nextTurn()
  started.at = performance.now()
}

/** Lstats a run of slots into walk items, yielding to the event loop when a turn ran long. */
async function inspectRun (fs: FolderFs, base: string, run: readonly Slot[], started: { at: number }): Promise<WalkItem[]> {
  const out: WalkItem[] = []
  for (const slot of run) {
    if (slot.error !== undefined) {
      out.push({ kind: 'error', name: slot.name, error: slot.error })
      continue
    }
    let entry: WalkEntry | undefined
    try {
      entry = inspectSync(fs, base, slot.name, slot.diskRel)
    } catch (err) {
      out.push({ kind: 'error', name: slot.name, error: fsError(err, 'reading', base + slot.diskRel) })
      continue
    }
    if (entry === undefined) continue
    slot.isDirectory = entry.type === 'directory'
    if (slot.isDirectory) slot.dirSize = entry.stats.size
    if (!slot.ignored) out.push({ kind: 'entry', entry })
  }
  await pause(started)
  return out
}

/** Walks the contents of `start` (not `start` itself) in name order, in batches of items. */
async function * walkTree (root: string, start: PendingDir, rules: WalkRules, signal: AbortSignal | undefined): AsyncGenerator<WalkItem[]> {
  checkAborted(signal, `scanning ${root}`)
  const base = join(root, sep)
  const frames: Array<{ slots: Slot[], pos: number }> = [{ slots: await listDir(base, start, rules), pos: 0 }]
  const started = { at: performance.now() }
  while (frames.length > 0) {
    const top = frames[frames.length - 1] as { slots: Slot[], pos: number }
    const slot = top.slots[top.pos]
    if (slot === undefined) {
      frames.pop()
      continue
    }
    if (slot.error === undefined && slot.descendInto !== undefined) {
      top.pos++
      if (slot.descendInto.isDirectory !== true) continue // gone, or replaced by a file or symlink
      checkAborted(signal, `scanning ${root}`)
      frames.push({ slots: await listDir(base, { name: slot.name, diskRel: slot.diskRel }, rules, slot.descendInto.dirSize), pos: 0 })
      await pause(started)
      continue
    }
    const run: Slot[] = []
    for (let s = top.slots[top.pos]; s !== undefined && run.length < runLength && (s.error !== undefined || s.descendInto === undefined); s = top.slots[top.pos]) {
      run.push(s)
      top.pos++
    }
    checkAborted(signal, `scanning ${root}`)
    const items = await inspectRun(rules.fs, base, run, started)
    if (items.length > 0) yield items
  }
}

/** True when every parent directory of `name` is a real directory (no symlink on the way). */
async function parentsAreDirectories (fs: FolderFs, root: string, name: string): Promise<boolean> {
  const parts = name.split('/')
  for (let i = 1; i < parts.length; i++) {
    try {
      const st = await fs.lstat(join(root, ...parts.slice(0, i)))
      if (!st.isDirectory()) return false
    } catch (err) {
      if (isNotFoundError(err)) return false
      throw err
    }
  }
  return true
}

async function * walkPath (root: string, name: string, rules: WalkRules, signal: AbortSignal | undefined): AsyncGenerator<WalkItem[]> {
  if (name === '') {
    yield * walkTree(root, { name: '', diskRel: '' }, rules, signal)
    return
  }
  if (isSkippedName(name)) return
  const { ignores } = rules
  const ignored = ignores.match(name).ignored
  let entry: WalkEntry | undefined
  try {
    if (!(await parentsAreDirectories(rules.fs, root, name))) return
    entry = await readWalkEntry(rules.fs, root, name, name)
  } catch (err) {
    yield [{ kind: 'error', name, error: fsError(err, 'reading', join(root, name)) }]
    return
  }
  if (entry === undefined || (ignored && (entry.type !== 'directory' || ignores.skipIgnoredDirs))) return
  if (!ignored) yield [{ kind: 'entry', entry }]
  if (entry.type === 'directory') yield * walkTree(root, { name, diskRel: name }, rules, signal)
}

/**
 * Walks the folder at `root` (or only `opts.paths`) in batches of items: entries in
 * {@link compareNames} order of their names (paths one after another, in that order), and
 * per-name errors. Throws WeftError `ABORTED` when the signal fires; other failures come as
 * error items, never for a single entry.
 */
export async function * walkFolderBatches (root: string, opts: WalkOptions = {}): AsyncGenerator<WalkItem[]> {
  const rules: WalkRules = { fs: opts.fs ?? nodeFs, ignores: opts.ignores ?? noIgnores, onTemporary: opts.onTemporary }
  for (const name of minimalPaths(opts.paths ?? [''])) {
    yield * walkPath(root, name, rules, opts.signal)
  }
}

/** {@link walkFolderBatches}, one item at a time. */
export async function * walkFolder (root: string, opts: WalkOptions = {}): AsyncGenerator<WalkItem> {
  for await (const batch of walkFolderBatches(root, opts)) yield * batch
}

/**
 * Walking a folder: yields every file, directory and symlink under the root (or under some
 * sub-paths) with its lstat, never following symlinks, skipping internal names, temporary
 * files, special files and ignored entries. Names come out NFC with `/` separators. Streams:
 * one directory handle open at a time, a stack of pending directories, nothing read from files.
 */
import { lstat, opendir, readlink } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import type { AbortOptions } from '../../../core/lifecycle.js'
import { isInternal, isTemporary, normalizeName } from '../ignore/internal.js'
import { noIgnores } from '../ignore/ignores.js'
import type { Ignores } from '../ignore/ignores.js'
import type { FileType } from '../types.js'
import { checkAborted, fsError, isNotFoundError } from './fs-errors.js'

/** One entry found on disk. */
export interface WalkEntry {
  /** Folder-relative name: NFC, `/`-separated. */
  name: string
  /** Absolute path on disk (the on-disk spelling, which may not be NFC). */
  path: string
  type: FileType
  stats: BigIntStats
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
}

interface PendingDir {
  name: string
  diskRel: string
}

/** Drops paths inside other listed paths, and duplicates; '' (the root) covers everything. */
export function minimalPaths (paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map(normalizeName))].sort()
  const out: string[] = []
  for (const p of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && (last === '' || p.startsWith(`${last}/`))) continue
    out.push(p)
  }
  return out
}

/** Reads one entry's metadata; `undefined` when it vanished or is not a file, directory or symlink. */
async function inspect (root: string, name: string, diskRel: string): Promise<WalkEntry | undefined> {
  const path = join(root, diskRel)
  let stats: BigIntStats
  try {
    stats = await lstat(path, { bigint: true })
  } catch (err) {
    if (isNotFoundError(err)) return undefined
    throw fsError(err, 'reading metadata of', path)
  }
  let type: FileType
  let symlinkTarget = ''
  if (stats.isFile()) type = 'file'
  else if (stats.isDirectory()) type = 'directory'
  else if (stats.isSymbolicLink()) {
    type = 'symlink'
    try {
      symlinkTarget = await readlink(path)
    } catch (err) {
      if (isNotFoundError(err)) return undefined
      throw fsError(err, 'reading symlink', path)
    }
  } else return undefined
  return { name, path, type, stats, symlinkTarget }
}

function isSkippedName (name: string): boolean {
  return isInternal(name) || isTemporary(name)
}

/** An entry of a directory listing waiting for its lstat. */
interface Candidate extends PendingDir {
  /** Ignored, but a directory walked for re-included entries (`!` patterns): not yielded. */
  ignored: boolean
}

/** Entries lstat'ed at once: the thread pool runs them in parallel. */
const batchSize = 64

async function * settle (root: string, batch: readonly Candidate[], stack: PendingDir[]): AsyncGenerator<WalkItem> {
  const results = await Promise.allSettled(batch.map(async (c) => await inspect(root, c.name, c.diskRel)))
  for (const [i, r] of results.entries()) {
    const c = batch[i]
    if (c === undefined) continue
    if (r.status === 'rejected') {
      yield { kind: 'error', name: c.name, error: fsError(r.reason, 'reading', join(root, c.diskRel)) }
      continue
    }
    const entry = r.value
    if (entry === undefined) continue
    if (entry.type === 'directory') stack.push({ name: c.name, diskRel: c.diskRel })
    if (!c.ignored) yield { kind: 'entry', entry }
  }
}

async function * walkTree (root: string, start: PendingDir, ignores: Ignores, signal: AbortSignal | undefined): AsyncGenerator<WalkItem> {
  const stack: PendingDir[] = [start]
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    checkAborted(signal, `scanning ${root}`)
    const seen = new Set<string>()
    let batch: Candidate[] = []
    try {
      const handle = await opendir(join(root, dir.diskRel), { bufferSize: 128 })
      for await (const dirent of handle) {
        const nfc = dirent.name.normalize('NFC')
        const name = dir.name === '' ? nfc : `${dir.name}/${nfc}`
        if (isSkippedName(name)) continue
        if (seen.has(nfc)) {
          yield { kind: 'error', name, error: new WeftError('ALREADY_EXISTS', `${name}: another entry of ${join(root, dir.diskRel)} has the same name after Unicode normalization`) }
          continue
        }
        seen.add(nfc)
        const ignored = ignores.match(name).ignored
        if (ignored && (!dirent.isDirectory() || ignores.skipIgnoredDirs)) continue
        batch.push({ name, diskRel: join(dir.diskRel, dirent.name), ignored })
        if (batch.length >= batchSize) {
          yield * settle(root, batch, stack)
          batch = []
        }
      }
      yield * settle(root, batch, stack)
    } catch (err) {
      if (err instanceof WeftError && err.code === 'ABORTED') throw err
      if (dir.name !== '' && isNotFoundError(err)) continue
      yield { kind: 'error', name: dir.name, error: fsError(err, 'listing directory', join(root, dir.diskRel)) }
    }
  }
}

/** True when every parent directory of `name` is a real directory (no symlink on the way). */
async function parentsAreDirectories (root: string, name: string): Promise<boolean> {
  const parts = name.split('/')
  for (let i = 1; i < parts.length; i++) {
    try {
      const st = await lstat(join(root, ...parts.slice(0, i)))
      if (!st.isDirectory()) return false
    } catch (err) {
      if (isNotFoundError(err)) return false
      throw err
    }
  }
  return true
}

async function * walkPath (root: string, name: string, ignores: Ignores, signal: AbortSignal | undefined): AsyncGenerator<WalkItem> {
  if (name === '') {
    yield * walkTree(root, { name: '', diskRel: '' }, ignores, signal)
    return
  }
  if (isSkippedName(name)) return
  const ignored = ignores.match(name).ignored
  let entry: WalkEntry | undefined
  try {
    if (!(await parentsAreDirectories(root, name))) return
    entry = await inspect(root, name, name)
  } catch (err) {
    yield { kind: 'error', name, error: fsError(err, 'reading', join(root, name)) }
    return
  }
  if (entry === undefined || (ignored && (entry.type !== 'directory' || ignores.skipIgnoredDirs))) return
  if (!ignored) yield { kind: 'entry', entry }
  if (entry.type === 'directory') yield * walkTree(root, { name, diskRel: name }, ignores, signal)
}

/**
 * Walks the folder at `root` (or only `opts.paths`), yielding entries and per-name errors.
 * Throws WeftError `ABORTED` when the signal fires, and `NOT_FOUND`/`FORBIDDEN` only through
 * error items, never for a single entry.
 */
export async function * walkFolder (root: string, opts: WalkOptions = {}): AsyncGenerator<WalkItem> {
  const ignores = opts.ignores ?? noIgnores
  for (const name of minimalPaths(opts.paths ?? [''])) {
    yield * walkPath(root, name, ignores, opts.signal)
  }
}

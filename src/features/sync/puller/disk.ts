/**
 * File system helpers of the puller: what is on disk at a name, whether it still is what the
 * index recorded at the last scan (size, mtime s+ns, inode, permissions, link target, as the
 * scanner compares them), directory fsync, and file system errors as WeftErrors, where a full
 * disk or exhausted quota (ENOSPC, EDQUOT) becomes a {@link DiskFullError}.
 */
import { lstatSync } from 'node:fs'
import { open, readlink } from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { WeftError } from '../../../core/errors.js'
import type { FileInfo } from '../types.js'
import { errnoCode, fsError } from '../scanner/fs-errors.js'

/** Re-exported for the puller and versioning: one definition, in scanner/fs-errors.ts. */
export { errnoCode }

/** The disk (or the user's quota) is full: the puller stops, nothing was replaced. */
export class DiskFullError extends WeftError {
  override readonly name: string = 'DiskFullError'

  constructor (path: string, options?: { cause?: unknown }) {
    super('DISK_FULL', `disk full: no space left to write ${path}`, options)
  }
}

/** True for "no space left on device" and "disk quota exceeded". */
export function isDiskFull (err: unknown): boolean {
  if (err instanceof DiskFullError) return true
  const code = errnoCode(err)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** Wraps a file system error from `action` on `path` into a WeftError. */
export function pullFsError (err: unknown, action: string, path: string): WeftError {
  if (!(err instanceof WeftError) && isDiskFull(err)) return new DiskFullError(path, { cause: err })
  return fsError(err, action, path)
}

/** Throws WeftError `ABORTED` when the signal has fired. */
export function checkPullAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new WeftError('ABORTED', 'pull aborted', { cause: signal.reason })
}

/** What is at a path, without following a symlink there. */
export type DiskEntry =
  | { kind: 'none' }
  | { kind: 'file' | 'directory' | 'other', stats: BigIntStats }
  | { kind: 'symlink', stats: BigIntStats, target: string }

/**
 * Looks at a path with lstat (and readlink for a symlink). The lstat runs on the calling
 * thread: it is answered from the kernel's caches in microseconds, while a trip through the
 * thread pool costs the event loop tens of microseconds and a missing entry an exception
 * with a stack trace; a pull of 100,000 small files makes three of these per file.
 */
export async function diskEntryAt (path: string): Promise<DiskEntry> {
  let stats: BigIntStats | undefined
  try {
    stats = lstatSync(path, { bigint: true, throwIfNoEntry: false })
  } catch (err) {
    throw pullFsError(err, 'lstat', path)
  }
  if (stats === undefined) return { kind: 'none' }
  if (stats.isSymbolicLink()) return { kind: 'symlink', stats, target: await readlink(path) }
  if (stats.isFile()) return { kind: 'file', stats }
  if (stats.isDirectory()) return { kind: 'directory', stats }
  return { kind: 'other', stats }
}

/** Options of {@link localChange}. */
export interface LocalChangeOptions {
  ignorePermissions?: boolean
  modTimeWindowMs?: number
}

/**
 * Why the entry on disk is no longer what the index recorded (`current`), or undefined when
 * it still is. An entry that is gone is not a change that loses data (undefined); an entry
 * present where the index has nothing (or a deletion) is one.
 */
export function localChange (entry: DiskEntry, current: FileInfo | undefined, options: LocalChangeOptions = {}): string | undefined {
  if (entry.kind === 'none') return undefined
  if (current === undefined || current.deleted) return `a local ${entry.kind} not in the index is in the way`
  if (entry.kind === 'other') return 'replaced locally by a special file'
  if (current.type === 'directory') return entry.kind === 'directory' ? undefined : `locally changed: now a ${entry.kind}`
  if (current.type === 'symlink') {
    if (entry.kind !== 'symlink') return `locally changed: now a ${entry.kind}`
    return entry.target === current.symlinkTarget ? undefined : 'locally changed: symlink target differs'
  }
  if (entry.kind !== 'file') return `locally changed: now a ${entry.kind}`
  const st = entry.stats
  if (st.size !== BigInt(current.size)) return 'locally changed: size differs'
  const recorded = BigInt(current.modifiedS) * 1_000_000_000n + BigInt(current.modifiedNs)
  const diff = st.mtimeNs > recorded ? st.mtimeNs - recorded : recorded - st.mtimeNs
  if (diff > BigInt(Math.round((options.modTimeWindowMs ?? 0) * 1_000_000))) return 'locally changed: modification time differs'
  if (current.inode !== undefined && BigInt(current.inode) !== st.ino) return 'locally changed: replaced by another file (inode)'
  if (options.ignorePermissions !== true && !current.noPermissions && Number(st.mode & 0o777n) !== (current.permissions & 0o777)) {
    return 'locally changed: permissions differ'
  }
  return undefined
}

/** The pulled record with what the file system now holds at its name (mtime, inode, mode). */
export function asOnDisk (file: FileInfo, stats: BigIntStats): FileInfo {
  const mtimeNs = stats.mtimeNs
  return {
    ...file,
    modifiedS: file.type === 'file' ? Number(mtimeNs / 1_000_000_000n) : file.modifiedS,
    modifiedNs: file.type === 'file' ? Number(mtimeNs % 1_000_000_000n) : file.modifiedNs,
    permissions: file.type === 'symlink' ? file.permissions : Number(stats.mode & 0o777n),
    inode: Number(stats.ino)
  }
}

/** Flushes a directory's entries (after a rename, create or unlink in it). */
export async function fsyncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch (err) {
    // Some file systems refuse fsync on directories (EINVAL); there is nothing more to do there.
    if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EISDIR') throw err
  } finally {
    await handle.close()
  }
}

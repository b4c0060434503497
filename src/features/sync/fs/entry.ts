/**
 * What is on disk at a name, and whether it still is what the index recorded at the last scan
 * (size, mtime s+ns, inode, permissions, link target, as the scanner compares them): the
 * puller checks this before it replaces or removes anything.
 */
import type { FileInfo } from '../types.js'
import { pullFsError } from './errors.js'
import type { FolderFs, FsStats } from './types.js'

/** What is at a path, without following a symlink there. */
export type DiskEntry =
  | { kind: 'none' }
  | { kind: 'file' | 'directory' | 'other', stats: FsStats }
  | { kind: 'symlink', stats: FsStats, target: string }

/**
 * Looks at a path with lstat (and readlink for a symlink). The lstat runs on the calling
 * thread: it is answered from the kernel's caches in microseconds, while a trip through the
 * thread pool costs the event loop tens of microseconds and a missing entry an exception
 * with a stack trace; a pull of 100,000 small files makes three of these per file.
 */
export async function diskEntryAt (fs: FolderFs, path: string): Promise<DiskEntry> {
  let stats: FsStats | undefined
  try {
    stats = fs.lstatSync(path)
  } catch (err) {
    throw pullFsError(err, 'lstat', path)
  }
  if (stats === undefined) return { kind: 'none' }
  if (stats.isSymbolicLink()) return { kind: 'symlink', stats, target: await fs.readlink(path) }
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
export function asOnDisk (file: FileInfo, stats: FsStats): FileInfo {
  const mtimeNs = stats.mtimeNs
  return {
    ...file,
    modifiedS: file.type === 'file' ? Number(mtimeNs / 1_000_000_000n) : file.modifiedS,
    modifiedNs: file.type === 'file' ? Number(mtimeNs % 1_000_000_000n) : file.modifiedNs,
    permissions: file.type === 'symlink' ? file.permissions : Number(stats.mode & 0o777n),
    inode: Number(stats.ino)
  }
}

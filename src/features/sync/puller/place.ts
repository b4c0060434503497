/**
 * The last step of every change: putting a prepared entry (a temporary file or symlink) in
 * place of what is at the name, or removing what is there. Right before acting, the entry on
 * disk is compared again with the index's record, so a file edited while its new version was
 * downloading is left alone (reported as a conflict, never overwritten). A regular file that
 * goes away is handed to the versioner first. Directories are removed only when empty
 * (leftover temporary files of pulls do not count).
 */
import { dirname, join } from 'node:path'
import type { FileInfo } from '../types.js'
import { errnoCode, pullFsError } from '../fs/errors.js'
import { diskEntryAt, localChange } from '../fs/entry.js'
import type { DiskEntry, LocalChangeOptions } from '../fs/entry.js'
import { isTempName } from '../fs/names.js'
import type { FolderFs } from '../fs/types.js'
import type { Versioner } from '../versioning/types.js'

/** Where and what to replace. */
export interface PlaceTarget {
  fs: FolderFs
  folderRoot: string
  name: string
  /** Absolute path of `name` (already validated with resolveInFolder). */
  path: string
  /** The index's record of the entry at `name`. */
  current: FileInfo | undefined
  versioner?: Versioner
  check: LocalChangeOptions
  /** Takes the directory to fsync instead of fsyncing it now (a batch does it before recording). */
  syncDir?: (dir: string) => void
}

async function syncDirOf (target: PlaceTarget): Promise<void> {
  const dir = dirname(target.path)
  if (target.syncDir !== undefined) target.syncDir(dir)
  else await target.fs.fsyncDir(dir)
}

/** Result of a placement: done, or the reason it was refused (a conflict). */
export type PlaceResult = { ok: true } | { ok: false, reason: string }

/** Removes an empty directory (after deleting pull temporaries in it); false when not empty. */
export async function removeEmptyDir (fs: FolderFs, path: string): Promise<boolean> {
  try {
    for (const entry of await fs.readdir(path)) {
      if (entry.isFile() && isTempName(entry.name)) await fs.unlink(join(path, entry.name))
    }
    await fs.rmdir(path)
    return true
  } catch (err) {
    const code = errnoCode(err)
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false
    if (code === 'ENOENT') return true
    throw err
  }
}

/** Moves away (versioner) or removes what is at the target; the entry must be checked first. */
async function clear (target: PlaceTarget, entry: DiskEntry, keepFiles: boolean): Promise<PlaceResult> {
  if (entry.kind === 'none') return { ok: true }
  if (entry.kind === 'directory') {
    return await removeEmptyDir(target.fs, target.path) ? { ok: true } : { ok: false, reason: 'directory not empty (holds entries not in the index)' }
  }
  if (entry.kind === 'file' && target.versioner !== undefined) {
    await target.versioner.archive(target.folderRoot, target.name)
    return { ok: true }
  }
  if (!keepFiles) await target.fs.unlink(target.path)
  return { ok: true }
}

/**
 * Renames `tempPath` over the target, after checking the target is still what the index
 * recorded and archiving an old regular file; fsyncs the directory.
 */
export async function replaceWith (target: PlaceTarget, tempPath: string): Promise<PlaceResult> {
  try {
    const entry = await diskEntryAt(target.fs, target.path)
    const change = localChange(entry, target.current, target.check)
    if (change !== undefined) return { ok: false, reason: change }
    // A file or symlink is replaced by the rename itself; a directory has to go first.
    const cleared = await clear(target, entry, true)
    if (!cleared.ok) return cleared
    await target.fs.rename(tempPath, target.path)
    await syncDirOf(target)
    return { ok: true }
  } catch (err) {
    throw pullFsError(err, 'replacing', target.name)
  }
}

/** Deletes the target after checking it is still what the index recorded; fsyncs the directory. */
export async function removeTarget (target: PlaceTarget): Promise<PlaceResult> {
  try {
    const entry = await diskEntryAt(target.fs, target.path)
    const change = localChange(entry, target.current, target.check)
    if (change !== undefined) return { ok: false, reason: change }
    if (entry.kind === 'none') return { ok: true }
    const cleared = await clear(target, entry, false)
    if (cleared.ok) await syncDirOf(target)
    return cleared
  } catch (err) {
    throw pullFsError(err, 'deleting', target.name)
  }
}

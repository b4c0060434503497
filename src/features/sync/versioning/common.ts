/**
 * What both versioners share: locating the file to archive (name validated, no symlink
 * parent, a regular file or symlink; directories are never archived), the `.stversions`
 * directory (created when missing, refused when it is a symlink or not a directory), and
 * the atomic move with directory fsyncs.
 */
import { dirname, join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { errnoCode } from '../fs/errors.js'
import { resolveInFolder } from '../fs/names.js'
import type { FolderFs } from '../fs/types.js'

/** The versions directory at the folder root (Syncthing's name). */
export const versionsDirName = '.stversions'

/** Absolute path of the entry to archive, or undefined when nothing is there. */
export async function archiveSource (fs: FolderFs, folderRoot: string, name: string): Promise<string | undefined> {
  const path = await resolveInFolder(fs, folderRoot, name)
  try {
    const st = await fs.lstat(path)
    if (st.isDirectory()) throw new WeftError('INVALID_ARGUMENT', `cannot archive ${JSON.stringify(name)}: it is a directory`)
    return path
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined
    throw err
  }
}

/** The versions directory of a folder, created when missing; never a symlink. */
export async function versionsRoot (fs: FolderFs, folderRoot: string): Promise<string> {
  const path = join(folderRoot, versionsDirName)
  try {
    await fs.mkdir(path, 0o755)
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err
  }
  const st = await fs.lstat(path)
  if (st.isSymbolicLink() || !st.isDirectory()) throw new WeftError('FORBIDDEN', `${path} is not a directory (a symlink?): refusing to archive into it`)
  return path
}

/**
 * The absolute path for folder-relative `relPath` inside the versions directory, parents
 * created and checked (no symlinks).
 */
export async function versionPath (fs: FolderFs, folderRoot: string, relPath: string): Promise<string> {
  return await resolveInFolder(fs, await versionsRoot(fs, folderRoot), relPath, { createParents: true })
}

/** Renames `from` to `to` (replacing a file there) and fsyncs both directories. */
export async function moveAtomically (fs: FolderFs, from: string, to: string): Promise<void> {
  const existing = await fs.lstat(to).catch(() => undefined)
  if (existing?.isDirectory() === true) throw new WeftError('ALREADY_EXISTS', `cannot archive to ${to}: a directory is there`)
  await fs.rename(from, to)
  await fs.fsyncDir(dirname(to))
  if (dirname(from) !== dirname(to)) await fs.fsyncDir(dirname(from))
}

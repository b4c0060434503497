/**
 * What both versioners share: locating the file to archive (name validated, no symlink
 * parent, a regular file or symlink; directories are never archived), the `.stversions`
 * directory (created when missing, refused when it is a symlink or not a directory), and
 * the atomic move with directory fsyncs.
 */
import { lstat, mkdir, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { errnoCode } from '../fs/errors.js'
import { resolveInFolder } from '../fs/names.js'
import { nodeFs } from '../fs/node.js'

/** The versions directory at the folder root (Syncthing's name). */
export const versionsDirName = '.stversions'

/** Absolute path of the entry to archive, or undefined when nothing is there. */
export async function archiveSource (folderRoot: string, name: string): Promise<string | undefined> {
  const path = await resolveInFolder(nodeFs, folderRoot, name)
  try {
    const st = await lstat(path)
    if (st.isDirectory()) throw new WeftError('INVALID_ARGUMENT', `cannot archive ${JSON.stringify(name)}: it is a directory`)
    return path
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined
    throw err
  }
}

/** The versions directory of a folder, created when missing; never a symlink. */
export async function versionsRoot (folderRoot: string): Promise<string> {
  const path = join(folderRoot, versionsDirName)
  try {
    await mkdir(path, { mode: 0o755 })
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err
  }
  const st = await lstat(path)
  if (st.isSymbolicLink() || !st.isDirectory()) throw new WeftError('FORBIDDEN', `${path} is not a directory (a symlink?): refusing to archive into it`)
  return path
}

/**
 * The absolute path for folder-relative `relPath` inside the versions directory, parents
 * created and checked (no symlinks).
 */
export async function versionPath (folderRoot: string, relPath: string): Promise<string> {
  return await resolveInFolder(nodeFs, await versionsRoot(folderRoot), relPath, { createParents: true })
}

/** Renames `from` to `to` (replacing a file there) and fsyncs both directories. */
export async function moveAtomically (from: string, to: string): Promise<void> {
  const existing = await lstat(to).catch(() => undefined)
  if (existing?.isDirectory() === true) throw new WeftError('ALREADY_EXISTS', `cannot archive to ${to}: a directory is there`)
  await rename(from, to)
  await nodeFs.fsyncDir(dirname(to))
  if (dirname(from) !== dirname(to)) await nodeFs.fsyncDir(dirname(from))
}

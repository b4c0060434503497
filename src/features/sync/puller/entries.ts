/**
 * Pulling entries without content: directories (created, permissions applied), symlinks
 * (created beside the target under the temporary name, then renamed over it; the target is
 * just text, stored and never followed or checked) and deletions (only when the entry on disk
 * is still what the index recorded; files go to the versioner, directories only when empty).
 */
import { lstat, mkdir, chmod, symlink, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import type { FileInfo } from '../types.js'
import { asOnDisk, checkPullAborted, fsyncDir, diskEntryAt, localChange, pullFsError } from './disk.js'
import { resolveInFolder, tempBaseName } from './names.js'
import { removeTarget, replaceWith } from './place.js'
import type { PlaceTarget } from './place.js'
import type { PullDeps, PullFileOptions, PullOutcome } from './types.js'

function placeTarget (folderRoot: string, file: FileInfo, path: string, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): PlaceTarget {
  const syncDir = options.settle === undefined ? undefined : (dir: string) => { options.settle?.syncDir(dir) }
  return { folderRoot, name: file.name, path, current, versioner: deps.versioner, check: options, syncDir }
}

/** Creates (or updates the permissions of) a directory. */
export async function pullDirectory (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  checkPullAborted(options.signal)
  const path = await resolveInFolder(folderRoot, file.name, { createParents: true, checked: options.checked })
  try {
    const entry = await diskEntryAt(path)
    if (entry.kind !== 'directory') {
      if (entry.kind !== 'none') {
        const removed = await removeTarget(placeTarget(folderRoot, file, path, current, deps, options))
        if (!removed.ok) return { kind: 'conflict', name: file.name, reason: removed.reason }
      }
      await mkdir(path, { mode: 0o755 })
    }
    if (options.ignorePermissions !== true && !file.noPermissions) await chmod(path, file.permissions & 0o777)
    if (options.settle !== undefined) options.settle.syncDir(dirname(path))
    else await fsyncDir(dirname(path))
    return { kind: 'updated', file: asOnDisk(file, await lstat(path, { bigint: true })) }
  } catch (err) {
    throw pullFsError(err, 'creating directory', file.name)
  }
}

/** Creates a symlink with the announced target, replacing what the index recorded there. */
export async function pullSymlink (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  checkPullAborted(options.signal)
  if (file.symlinkTarget === '' || file.symlinkTarget.includes('\0')) {
    throw new WeftError('INVALID_ARGUMENT', `refused symlink ${JSON.stringify(file.name)}: empty target or NUL in it`)
  }
  const path = await resolveInFolder(folderRoot, file.name, { createParents: true, checked: options.checked })
  const target = placeTarget(folderRoot, file, path, current, deps, options)
  const early = localChange(await diskEntryAt(path), current, options)
  if (early !== undefined) return { kind: 'conflict', name: file.name, reason: early }
  const tempPath = join(dirname(path), tempBaseName(basename(path)))
  let placed = false
  try {
    await unlink(tempPath).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err })
    await symlink(file.symlinkTarget, tempPath)
    const result = await replaceWith(target, tempPath)
    placed = result.ok
    if (!result.ok) return { kind: 'conflict', name: file.name, reason: result.reason }
    return { kind: 'updated', file: asOnDisk(file, await lstat(path, { bigint: true })) }
  } catch (err) {
    throw pullFsError(err, 'creating symlink', file.name)
  } finally {
    if (!placed) await unlink(tempPath).catch(() => {})
  }
}

/** Deletes a file, symlink or (empty) directory, if it is still what the index recorded. */
export async function pullDelete (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  checkPullAborted(options.signal)
  const path = await resolveInFolder(folderRoot, file.name, { checked: options.checked })
  const removed = await removeTarget(placeTarget(folderRoot, file, path, current, deps, options))
  if (!removed.ok) return { kind: 'conflict', name: file.name, reason: removed.reason }
  return { kind: 'deleted', file }
}

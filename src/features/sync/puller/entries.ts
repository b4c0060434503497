/**
 * Pulling entries without content: directories (created, permissions applied), symlinks
 * (created beside the target under the temporary name, then renamed over it; the target is
 * just text, stored and never followed or checked) and deletions (only when the entry on disk
 * is still what the index recorded; files go to the versioner, directories only when empty).
 */
import { basename, dirname, join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import type { FileInfo } from '../types.js'
import { checkPullAborted, errnoCode, pullFsError } from '../fs/errors.js'
import { asOnDisk, diskEntryAt, localChange } from '../fs/entry.js'
import { resolveInFolder, tempBaseName } from '../fs/names.js'
import { nodeFs } from '../fs/node.js'
import { removeTarget, replaceWith } from './place.js'
import type { PlaceTarget } from './place.js'
import type { PullDeps, PullFileOptions, PullOutcome } from './types.js'

function placeTarget (folderRoot: string, file: FileInfo, path: string, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): PlaceTarget {
  const syncDir = options.settle === undefined ? undefined : (dir: string) => { options.settle?.syncDir(dir) }
  return { fs: deps.fs ?? nodeFs, folderRoot, name: file.name, path, current, versioner: deps.versioner, check: options, syncDir }
}

/** Creates (or updates the permissions of) a directory. */
export async function pullDirectory (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  checkPullAborted(options.signal)
  const fs = deps.fs ?? nodeFs
  const path = await resolveInFolder(fs, folderRoot, file.name, { createParents: true, checked: options.checked })
  try {
    const entry = await diskEntryAt(fs, path)
    if (entry.kind !== 'directory') {
      if (entry.kind !== 'none') {
        const removed = await removeTarget(placeTarget(folderRoot, file, path, current, deps, options))
        if (!removed.ok) return { kind: 'conflict', name: file.name, reason: removed.reason }
      }
      await fs.mkdir(path, 0o755)
    }
    if (options.ignorePermissions !== true && !file.noPermissions) await fs.chmod(path, file.permissions & 0o777)
    if (options.settle !== undefined) options.settle.syncDir(dirname(path))
    else await fs.fsyncDir(dirname(path))
    return { kind: 'updated', file: asOnDisk(file, await fs.lstat(path)) }
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
  const fs = deps.fs ?? nodeFs
  const path = await resolveInFolder(fs, folderRoot, file.name, { createParents: true, checked: options.checked })
  const target = placeTarget(folderRoot, file, path, current, deps, options)
  const early = localChange(await diskEntryAt(fs, path), current, options)
  if (early !== undefined) return { kind: 'conflict', name: file.name, reason: early }
  const tempPath = join(dirname(path), tempBaseName(basename(path)))
  let placed = false
  try {
    await fs.unlink(tempPath).catch((err: unknown) => { if (errnoCode(err) !== 'ENOENT') throw err })
    await fs.symlink(file.symlinkTarget, tempPath)
    const result = await replaceWith(target, tempPath)
    placed = result.ok
    if (!result.ok) return { kind: 'conflict', name: file.name, reason: result.reason }
    return { kind: 'updated', file: asOnDisk(file, await fs.lstat(path)) }
  } catch (err) {
    throw pullFsError(err, 'creating symlink', file.name)
  } finally {
    if (!placed) await fs.unlink(tempPath).catch(() => {})
  }
}

/** Deletes a file, symlink or (empty) directory, if it is still what the index recorded. */
export async function pullDelete (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  checkPullAborted(options.signal)
  const path = await resolveInFolder(deps.fs ?? nodeFs, folderRoot, file.name, { checked: options.checked })
  const removed = await removeTarget(placeTarget(folderRoot, file, path, current, deps, options))
  if (!removed.ok) return { kind: 'conflict', name: file.name, reason: removed.reason }
  return { kind: 'deleted', file }
}

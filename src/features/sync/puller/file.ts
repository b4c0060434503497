/**
 * Pulling one regular file: blocks assembled into `.syncthing.NAME.tmp` in the target's
 * directory (reusing a leftover temporary file's verified blocks), then fsync, mtime and
 * permissions, and an atomic rename over the target (after the local-change check and the
 * versioner), then a directory fsync. The target is never written in place: until the rename
 * it holds the old content. An aborted pull keeps its temporary file for a later resume; any
 * other failure (bad data everywhere, full disk, ...) removes it.
 */
import { basename, dirname, join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import type { FileInfo } from '../types.js'
import { checkPullAborted, pullFsError } from '../fs/errors.js'
import { asOnDisk, diskEntryAt, localChange } from '../fs/entry.js'
import { resolveInFolder, tempBaseName } from '../fs/names.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs, FsFile } from '../fs/types.js'
import { assembleBlocks, validateBlocks } from './blocks.js'
import { ByteBudget } from './budget.js'
import { replaceWith } from './place.js'
import type { PlaceTarget } from './place.js'
import type { PullDeps, PullFileOptions, PullOutcome } from './types.js'

/** Default bound on bytes in flight when no shared budget is given (64 MiB). */
export const defaultBytesInFlight = 64 * 1024 * 1024

/** Opens the temporary file (never through a symlink): the leftover of an interrupted pull (resumed) or a new one. */
async function openTemp (fs: FolderFs, path: string): Promise<{ handle: FsFile, resumed: boolean }> {
  const entry = await diskEntryAt(fs, path)
  if (entry.kind === 'file') {
    return { handle: await fs.openFile(path, 'update'), resumed: true }
  }
  if (entry.kind === 'directory') throw new WeftError('INTERNAL', `temporary file ${path} is a directory`)
  if (entry.kind !== 'none') await fs.unlink(path)
  return { handle: await fs.openFile(path, 'create'), resumed: false }
}

function fileMode (file: FileInfo, old: number | undefined, options: PullFileOptions): number {
  if (options.ignorePermissions === true || file.noPermissions) return old ?? 0o644
  return file.permissions & 0o777
}

/**
 * Pulls a regular file (including an empty one). Returns `updated` with the record as now on
 * disk, or `conflict` when the target changed since the last scan. Throws WeftError on
 * failure (`ABORTED`, `PROTOCOL_ERROR`, `PEER_UNREACHABLE`, {@link DiskFullError}, ...).
 */
export async function pullRegularFile (folderRoot: string, file: FileInfo, current: FileInfo | undefined, deps: PullDeps, options: PullFileOptions): Promise<PullOutcome> {
  const signal = options.signal ?? new AbortController().signal
  validateBlocks(file)
  checkPullAborted(signal)
  const fs = deps.fs ?? nodeFs
  const path = await resolveInFolder(fs, folderRoot, file.name, { createParents: true, checked: options.checked })
  const syncDir = options.settle === undefined ? undefined : (dir: string) => { options.settle?.syncDir(dir) }
  const target: PlaceTarget = { fs, folderRoot, name: file.name, path, current, versioner: deps.versioner, check: options, syncDir }
  const before = await diskEntryAt(fs, path)
  const early = localChange(before, current, options)
  if (early !== undefined) return { kind: 'conflict', name: file.name, reason: early }

  const tempPath = join(dirname(path), tempBaseName(basename(path)))
  let handle: FsFile | undefined
  let leaveTemp = false
  try {
    const opened = await openTemp(fs, tempPath)
    handle = opened.handle
    // A new temporary file is empty and the blocks' positioned writes size it; a leftover one
    // may be longer than this version.
    if (opened.resumed) await handle.truncate(file.size)
    const oldIsCurrent = before.kind === 'file' && current !== undefined && !current.deleted && current.type === 'file'
    await assembleBlocks({
      folderRoot,
      file,
      temp: handle,
      resumed: opened.resumed,
      old: oldIsCurrent ? { path, file: current } : undefined,
      deps,
      devices: options.devices,
      budget: options.budget ?? new ByteBudget(defaultBytesInFlight),
      signal,
      blocksInFlight: options.blocksInFlight ?? 16,
      onBytes: options.onBytes ?? (() => {})
    })
    // Metadata of an open file: answered at once by the kernel, no trip through the thread pool.
    fs.fchmodSync(handle, fileMode(file, before.kind === 'file' ? Number(before.stats.mode & 0o777n) : undefined, options))
    fs.futimesSync(handle, file.modifiedS + file.modifiedNs / 1e9)
    await handle.sync()
    await handle.close()
    handle = undefined
    checkPullAborted(signal)
    const placed = await replaceWith(target, tempPath)
    leaveTemp = placed.ok
    if (!placed.ok) return { kind: 'conflict', name: file.name, reason: placed.reason }
    const stats = fs.lstatSync(path)
    if (stats === undefined) throw new WeftError('NOT_FOUND', `pulling ${file.name}: not found`)
    return { kind: 'updated', file: asOnDisk(file, stats) }
  } catch (err) {
    const error = pullFsError(err, 'pulling', file.name)
    leaveTemp = error.code === 'ABORTED'
    throw error
  } finally {
    await handle?.close().catch(() => {})
    // Kept when renamed into place, or after an abort (a later pull resumes from it).
    if (!leaveTemp) await fs.unlink(tempPath).catch(() => {})
  }
}

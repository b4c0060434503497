/**
 * Cleaning up pulls' temporary files (`.syncthing.NAME.tmp`). A pull that stops half way (the
 * daemon stopped or crashed, the link went away) keeps its temporary file so that the next
 * pull of that file resumes from the blocks it holds. One that nothing will resume is
 * garbage: the file it was for is in place already (the crash came after the rename, or a
 * scan found the same content), or the temporary file is older than a day (Syncthing's
 * default too). After each scan, the folder runner hands the temporary files the scan met to
 * {@link removeStaleTemporaries}; no pull runs during a scan, so none of them is in use.
 */
import { join } from 'node:path'
import { tempPrefix, tempSuffix } from '../types.js'
import { errnoCode } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'

/** A temporary file older than this is removed whatever it was for (Syncthing: 24 hours). */
export const keepTemporariesMs = 24 * 60 * 60 * 1000

/**
 * The name of the file a temporary file (a folder-relative name) is for, or undefined when it
 * cannot be told: a base name too long for the file system is hashed into the temporary's name.
 */
export function temporaryTarget (tempName: string): string | undefined {
  const slash = tempName.lastIndexOf('/')
  const dir = slash < 0 ? '' : tempName.slice(0, slash + 1)
  const base = tempName.slice(slash + 1)
  if (!base.startsWith(tempPrefix) || !base.endsWith(tempSuffix)) return undefined
  const target = base.slice(tempPrefix.length, base.length - tempSuffix.length)
  if (target === '' || /^[0-9a-f]{64}$/.test(target)) return undefined
  return dir + target
}

/** What {@link removeStaleTemporaries} needs to know of the folder. */
export interface TemporaryPolicy {
  /** True while the folder still needs the file `name` pulled (its temporary file may resume it). */
  stillNeeded: (name: string) => boolean
  /** Now, in milliseconds (for tests). */
  now?: number
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

/**
 * Decides which of `tempNames` (folder-relative, as a scan reported them) are stale: for a file
 * no longer needed, or older than {@link keepTemporariesMs}. Pure, for tests and simulation.
 */
export function staleTemporaries (tempNames: readonly string[], ageMs: (name: string) => number | undefined, policy: TemporaryPolicy): string[] {
  return tempNames.filter((name) => {
    const age = ageMs(name)
    if (age === undefined) return false // gone already
    if (age > keepTemporariesMs) return true
    const target = temporaryTarget(name)
    return target !== undefined && !policy.stillNeeded(target)
  })
}

/**
 * Removes the stale temporary files among `tempNames` in the folder at `root`; returns the
 * names removed. A file that is already gone is no failure; any other error is left to the
 * next scan (a temporary file in the way is harmless).
 */
export async function removeStaleTemporaries (root: string, tempNames: readonly string[], policy: TemporaryPolicy): Promise<string[]> {
  if (tempNames.length === 0) return []
  const now = policy.now ?? Date.now()
  const fs = policy.fs ?? nodeFs
  const ageMs = (name: string): number | undefined => {
    try {
      const stats = fs.lstatSync(join(root, name))
      return stats === undefined || !stats.isFile() ? undefined : now - Number(stats.mtimeMs)
    } catch {
      return undefined // unreadable: left for the next scan
    }
  }
  const removed: string[] = []
  for (const name of staleTemporaries(tempNames, ageMs, policy)) {
    try {
      await fs.unlink(join(root, name))
      removed.push(name)
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue
    }
  }
  return removed
}

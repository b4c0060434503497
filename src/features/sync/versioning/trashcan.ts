/**
 * Trash can versioning (Syncthing's "trashcan"): a file replaced or deleted by a remote change
 * is moved to `.stversions/<name>`, keeping the directory structure and replacing an older
 * archived copy of the same name. Its mtime is set to the archiving time, which is what
 * {@link TrashCanVersioner.clean} goes by to remove copies older than the cleanout period.
 */
import { lstat, readdir, rmdir, unlink, utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { errnoCode } from '../fs/errors.js'
import { archiveSource, moveAtomically, versionPath, versionsDirName } from './common.js'
import type { Versioner } from './types.js'

/** Options of a {@link TrashCanVersioner}. */
export interface TrashCanOptions {
  /** Archived copies older than this many days are removed by `clean` (0: never). */
  cleanoutDays: number
  /** Clock (tests). */
  now?: () => Date
}

const dayMs = 24 * 60 * 60 * 1000

/** Moves replaced or deleted files to `.stversions/`, one copy per name. */
export class TrashCanVersioner implements Versioner {
  constructor (private readonly options: TrashCanOptions) {}

  /** Moves `name` to `.stversions/<name>` (see {@link Versioner.archive}). */
  async archive (folderRoot: string, name: string): Promise<void> {
    const source = await archiveSource(folderRoot, name)
    if (source === undefined) return
    const target = await versionPath(folderRoot, name)
    await moveAtomically(source, target)
    const now = this.options.now?.() ?? new Date()
    await utimes(target, now, now).catch(() => {})
  }

  /**
   * Removes archived copies archived more than `cleanoutDays` days before `now`, then the
   * directories left empty. Symlinks in `.stversions` are removed or skipped, never followed.
   */
  async clean (folderRoot: string, now: Date = this.options.now?.() ?? new Date()): Promise<void> {
    if (!(this.options.cleanoutDays > 0)) return
    const cutoff = now.getTime() - this.options.cleanoutDays * dayMs
    const root = join(folderRoot, versionsDirName)
    const st = await lstat(root).catch(() => undefined)
    if (st === undefined || !st.isDirectory()) return
    await cleanDir(root, cutoff, false)
  }
}

/** Cleans one directory; true when it is now empty (and removed, unless it is the root). */
async function cleanDir (dir: string, cutoff: number, removeWhenEmpty: boolean): Promise<boolean> {
  let left = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!await cleanDir(path, cutoff, true)) left++
      continue
    }
    const st = await lstat(path).catch(() => undefined)
    if (st !== undefined && st.mtimeMs < cutoff) {
      await unlink(path).catch((err: unknown) => { if (errnoCode(err) !== 'ENOENT') throw err })
    } else {
      left++
    }
  }
  if (left > 0 || !removeWhenEmpty) return left === 0
  try {
    await rmdir(dir)
    return true
  } catch {
    return false
  }
}

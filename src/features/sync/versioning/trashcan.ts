/**
 * Trash can versioning (Syncthing's "trashcan"): a file replaced or deleted by a remote change
 * is moved to `.stversions/<name>`, keeping the directory structure and replacing an older
 * archived copy of the same name. Its mtime is set to the archiving time, which is what
 * {@link TrashCanVersioner.clean} goes by to remove copies older than the cleanout period.
 */
import { join } from 'node:path'
import { errnoCode } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'
import { archiveSource, moveAtomically, versionPath, versionsDirName } from './common.js'
import type { Versioner } from './types.js'

/** Options of a {@link TrashCanVersioner}. */
export interface TrashCanOptions {
  /** Archived copies older than this many days are removed by `clean` (0: never). */
  cleanoutDays: number
  /** Clock (tests). */
  now?: () => Date
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

const dayMs = 24 * 60 * 60 * 1000

/** Moves replaced or deleted files to `.stversions/`, one copy per name. */
export class TrashCanVersioner implements Versioner {
  private readonly fs: FolderFs

  constructor (private readonly options: TrashCanOptions) {
    this.fs = options.fs ?? nodeFs
  }

  /** Moves `name` to `.stversions/<name>` (see {@link Versioner.archive}). */
  async archive (folderRoot: string, name: string): Promise<void> {
    const source = await archiveSource(this.fs, folderRoot, name)
    if (source === undefined) return
    const target = await versionPath(this.fs, folderRoot, name)
    await moveAtomically(this.fs, source, target)
    const now = this.options.now?.() ?? new Date()
    await this.fs.utimes(target, now.getTime() / 1000).catch(() => {})
  }

  /**
   * Removes archived copies archived more than `cleanoutDays` days before `now`, then the
   * directories left empty. Symlinks in `.stversions` are removed or skipped, never followed.
   */
  async clean (folderRoot: string, now: Date = this.options.now?.() ?? new Date()): Promise<void> {
    if (!(this.options.cleanoutDays > 0)) return
    const cutoff = now.getTime() - this.options.cleanoutDays * dayMs
    const root = join(folderRoot, versionsDirName)
    const st = await this.fs.lstat(root).catch(() => undefined)
    if (st === undefined || !st.isDirectory()) return
    await cleanDir(this.fs, root, cutoff, false)
  }
}

/** Cleans one directory; true when it is now empty (and removed, unless it is the root). */
async function cleanDir (fs: FolderFs, dir: string, cutoff: number, removeWhenEmpty: boolean): Promise<boolean> {
  let left = 0
  for (const entry of await fs.readdir(dir)) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (!await cleanDir(fs, path, cutoff, true)) left++
      continue
    }
    const st = await fs.lstat(path).catch(() => undefined)
    if (st !== undefined && Number(st.mtimeMs) < cutoff) {
      await fs.unlink(path).catch((err: unknown) => { if (errnoCode(err) !== 'ENOENT') throw err })
    } else {
      left++
    }
  }
  if (left > 0 || !removeWhenEmpty) return left === 0
  try {
    await fs.rmdir(dir)
    return true
  } catch {
    return false
  }
}

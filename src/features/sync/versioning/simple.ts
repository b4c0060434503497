/**
 * Simple versioning (Syncthing's "simple"): a file replaced or deleted by a remote change is
 * moved to `.stversions/<dir>/<base>~YYYYMMDD-HHMMSS<.ext>` (local time of archiving; the
 * extension split as Go's path.Ext does, so `.bashrc` becomes `~TAG.bashrc`, as Syncthing
 * names them), keeping the directory structure; then only the newest `keep` versions of that
 * file are kept. Two archives within the same second share a name: the later replaces the
 * earlier.
 */
import { dirname } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { errnoCode } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'
import { archiveSource, moveAtomically, versionPath } from './common.js'
import type { Versioner } from './types.js'

/** Options of a {@link SimpleVersioner}. */
export interface SimpleOptions {
  /** Versions kept per file (at least 1). */
  keep: number
  /** Clock (tests). */
  now?: () => Date
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

function pad (n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** Syncthing's version tag, `YYYYMMDD-HHMMSS` in local time. */
export function versionTag (date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`
}

/** Splits a base name like Go's path.Ext: the extension is from the last dot (`a.tar.gz` → `.gz`). */
function splitExt (base: string): [string, string] {
  const dot = base.lastIndexOf('.')
  return dot < 0 ? [base, ''] : [base.slice(0, dot), base.slice(dot)]
}

/** The tagged name of a version: `dir/base~TAG.ext`. */
export function taggedName (name: string, tag: string): string {
  const slash = name.lastIndexOf('/')
  const dir = slash < 0 ? '' : name.slice(0, slash + 1)
  const [stem, ext] = splitExt(name.slice(slash + 1))
  return `${dir}${stem}~${tag}${ext}`
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Keeps the last N versions of each file in `.stversions/`. */
export class SimpleVersioner implements Versioner {
  private readonly keep: number
  private readonly fs: FolderFs

  constructor (private readonly options: SimpleOptions) {
    if (!Number.isSafeInteger(options.keep) || options.keep < 1) throw new WeftError('INVALID_ARGUMENT', `simple versioning keeps at least 1 version, got ${options.keep}`)
    this.keep = options.keep
    this.fs = options.fs ?? nodeFs
  }

  /** Moves `name` to its tagged version name, then prunes its versions beyond `keep`. */
  async archive (folderRoot: string, name: string): Promise<void> {
    const source = await archiveSource(this.fs, folderRoot, name)
    if (source === undefined) return
    const tag = versionTag(this.options.now?.() ?? new Date())
    const target = await versionPath(this.fs, folderRoot, taggedName(name, tag))
    await moveAtomically(this.fs, source, target)
    await this.prune(dirname(target), name.slice(name.lastIndexOf('/') + 1))
  }

  /** Removes the oldest versions of `base` in `dir` beyond `keep`. */
  private async prune (dir: string, base: string): Promise<void> {
    const [stem, ext] = splitExt(base)
    const pattern = new RegExp(`^${escapeRegExp(stem)}~(\\d{8}-\\d{6})${escapeRegExp(ext)}$`)
    const versions: Array<{ name: string, tag: string }> = []
    for (const entry of await this.fs.readdir(dir)) {
      const match = pattern.exec(entry.name)
      if (match?.[1] !== undefined && !entry.isDirectory()) versions.push({ name: entry.name, tag: match[1] })
    }
    versions.sort((a, b) => b.tag.localeCompare(a.tag))
    for (const old of versions.slice(this.keep)) {
      await this.fs.unlink(`${dir}/${old.name}`).catch((err: unknown) => { if (errnoCode(err) !== 'ENOENT') throw err })
    }
  }
}

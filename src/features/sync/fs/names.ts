/**
 * Validation of names that come from peers, done before any file system call, and safe
 * resolution of a name under the folder root. Rules, after Syncthing's `checkFilename` and
 * internal-name checks:
 * - non-empty, relative (no leading `/`), in canonical form: no empty, `.` or `..` segments,
 *   no trailing `/`, Unicode NFC;
 * - no NUL; on Windows also no `\`, `:` or other characters Windows refuses. On POSIX a
 *   backslash is an ordinary file name character (Syncthing accepts it there), and it cannot
 *   escape the folder since the kernel does not treat it as a separator;
 * - not an internal name at the root (`.stfolder`, `.stignore`, `.stversions`, `.weft`,
 *   compared case-insensitively for case-insensitive file systems) nor anything inside one;
 * - no segment that is a pull's temporary file name (`.syncthing.NAME.tmp`);
 * - and at resolution time, no parent that is a symlink or not a directory (checked with lstat,
 *   segment by segment), so that nothing is ever written through a link out of the folder.
 */
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { internalNames, tempPrefix, tempSuffix } from '../types.js'
import { errnoCode } from './errors.js'
import type { FolderFs } from './types.js'

const internal: ReadonlySet<string> = new Set(internalNames.map((n) => n.toLowerCase()))
// eslint-disable-next-line no-control-regex
const windowsForbidden = /[\\:*?"<>|\u0000-\u001f]/
const maxNameBytes = 255

/** True for a pull's temporary file name (`.syncthing.NAME.tmp`), one path segment. */
export function isTempName (segment: string): boolean {
  return segment.length > tempPrefix.length + tempSuffix.length && segment.startsWith(tempPrefix) && segment.endsWith(tempSuffix)
}

/** Why a peer's name is refused, or undefined when it is acceptable. */
export function nameProblem (name: string, platform: NodeJS.Platform = process.platform): string | undefined {
  if (name === '') return 'empty name'
  if (name.includes('\0')) return 'contains NUL'
  if (name.startsWith('/')) return 'absolute path'
  if (platform === 'win32' && (windowsForbidden.test(name) || /^[a-zA-Z]:/.test(name))) return 'contains characters Windows refuses'
  if (name.normalize('NFC') !== name) return 'not in Unicode NFC'
  const segments = name.split('/')
  for (const segment of segments) {
    if (segment === '') return 'empty path segment'
    if (segment === '.' || segment === '..') return `"${segment}" path segment`
    if (isTempName(segment)) return 'temporary file name'
  }
  const first = segments[0] ?? ''
  if (internal.has(first.toLowerCase())) return 'internal name'
  return undefined
}

/** Throws WeftError `INVALID_ARGUMENT` when a peer's name is not acceptable. */
export function validateName (name: string): string[] {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new WeftError('INVALID_ARGUMENT', `refused name ${JSON.stringify(name)}: ${problem}`)
  return name.split('/')
}

/** Options of {@link resolveInFolder}. */
export interface ResolveOptions {
  /** Create missing parent directories (mode 0o755, one at a time, each checked). */
  createParents?: boolean
  /**
   * Directories recently checked to be real directories: they are not checked again while
   * their entry is fresh. Saves the lstat of every parent of every file when many files of
   * one directory are read or written in a row.
   */
  checked?: CheckedDirs
}

/**
 * A short-lived memory of directories found to be real directories (not symlinks). An entry
 * lives `ttlMs` (default 1 s): a directory replaced by a symlink after its check is noticed
 * at the latest then (until then a reader still gets only blocks that match their hashes, and
 * a writer's temporary file lands in the directory it checked).
 */
export class CheckedDirs {
  readonly #until = new Map<string, number>()

  constructor (readonly ttlMs = 1000, readonly maxEntries = 4096) {}

  /** True when `dir` was checked and the check is still fresh. */
  has (dir: string, now = Date.now()): boolean {
    const until = this.#until.get(dir)
    if (until === undefined) return false
    if (until > now) return true
    this.#until.delete(dir)
    return false
  }

  /** Remembers that `dir` is a real directory now. */
  add (dir: string, now = Date.now()): void {
    if (this.#until.size >= this.maxEntries) this.#until.clear()
    this.#until.set(dir, now + this.ttlMs)
  }

  /** Forgets everything (e.g. after a directory was removed or renamed). */
  clear (): void {
    this.#until.clear()
  }
}

/**
 * Validates `name` and returns its absolute path under `root`, after checking with `fs`'s lstat
 * that every existing parent below the root is a real directory (not a symlink). Missing
 * parents are created when asked, else left alone (the caller finds out with ENOENT).
 * Throws `INVALID_ARGUMENT` for a refused name, `FORBIDDEN` for a symlink or non-directory
 * parent.
 */
export async function resolveInFolder (fs: FolderFs, root: string, name: string, options: ResolveOptions = {}): Promise<string> {
  const segments = validateName(name)
  let dir = root
  const now = Date.now()
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] ?? ''
    dir = join(dir, segment)
    if (options.checked?.has(dir, now) === true) continue
    let exists = true
    try {
      const st = await fs.lstat(dir)
      if (st.isSymbolicLink()) throw new WeftError('FORBIDDEN', `refused name ${JSON.stringify(name)}: parent ${JSON.stringify(segment)} is a symlink`)
      if (!st.isDirectory()) throw new WeftError('FORBIDDEN', `refused name ${JSON.stringify(name)}: parent ${JSON.stringify(segment)} is not a directory`)
    } catch (err) {
      if (err instanceof WeftError) throw err
      if (errnoCode(err) !== 'ENOENT') throw err
      exists = false
    }
    if (!exists) {
      if (options.createParents !== true) return join(root, ...segments)
      try {
        await fs.mkdir(dir, 0o755)
      } catch (err) {
        // Someone else (a concurrent pull) created it: check it again on the next round.
        if (errnoCode(err) !== 'EEXIST') throw err
        const st = await fs.lstat(dir)
        if (!st.isDirectory()) throw new WeftError('FORBIDDEN', `refused name ${JSON.stringify(name)}: parent ${JSON.stringify(segment)} is not a directory`)
      }
    }
    options.checked?.add(dir, now)
  }
  return join(root, ...segments)
}

/** The temporary file's base name for a file's base name (hashed when it would be too long). */
export function tempBaseName (base: string): string {
  const plain = `${tempPrefix}${base}${tempSuffix}`
  if (Buffer.byteLength(plain) <= maxNameBytes) return plain
  return `${tempPrefix}${createHash('sha256').update(base).digest('hex')}${tempSuffix}`
}

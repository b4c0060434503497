/**
 * An in-memory {@link FolderFs} for tests: a tree of directories, files and symlinks held in
 * this process, with the POSIX behaviour the sync engine relies on (lstat never follows the
 * last symlink, parents do; O_NOFOLLOW opens fail with ELOOP; rename replaces a file
 * atomically and keeps the inode; rmdir refuses a non-empty directory; exclusive create
 * refuses an existing name). It is deterministic: inodes count up from 1 and the clock moves
 * one millisecond per change (or as far as {@link MemoryFs.tick} says), so two runs of a test
 * see the same mtimes. Faults can be injected per operation and path ({@link MemoryFault}:
 * ENOSPC on writes, EACCES on opens, ...). Errors look like node:fs's (`code`, `syscall`,
 * `path`, message `CODE: description, syscall 'path'`). Not a file system for production:
 * no permissions are enforced, and every byte lives in memory.
 */
import { posix } from 'node:path'
import type { FolderFs, FsDirent, FsFile, FsStats, OpenMode } from './types.js'

/** The operations a fault can be injected into. */
export type MemoryFsOp =
  | 'lstat' | 'stat' | 'readdir' | 'readlink' | 'readFile' | 'open' | 'read' | 'write' | 'truncate' | 'fsync'
  | 'chmod' | 'utimes' | 'mkdir' | 'symlink' | 'unlink' | 'rmdir' | 'rename'

/** A fault: operations `op` on a matching path fail with the system error `code`. */
export interface MemoryFault {
  op: MemoryFsOp
  /** A path (matches it and everything under it) or a pattern; default: every path. */
  path?: string | RegExp
  /** `ENOSPC`, `EACCES`, `EIO`, ... */
  code: string
  /** Fail this many times, then work again (default: until cleared). */
  times?: number
}

const descriptions: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  ELOOP: 'too many symbolic links encountered',
  EBADF: 'bad file descriptor',
  EINVAL: 'invalid argument',
  ENOSPC: 'no space left on device',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'i/o error'
}

/** A node:fs-style system error. */
function sysError (code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const where = path === undefined ? '' : ` '${path}'`
  const err: NodeJS.ErrnoException = new Error(`${code}: ${descriptions[code] ?? 'error'}, ${syscall}${where}`)
  err.code = code
  err.syscall = syscall
  if (path !== undefined) err.path = path
  return err
}

interface Meta {
  ino: bigint
  mode: number
  mtimeNs: bigint
  /** Last change of content or metadata. */
  ctimeNs: bigint
}
interface FileNode extends Meta { kind: 'file', data: Buffer, size: number }
interface DirNode extends Meta { kind: 'dir', entries: Map<string, Node> }
interface LinkNode extends Meta { kind: 'symlink', target: string }
type Node = FileNode | DirNode | LinkNode

const typeBits = { file: 0o100000, dir: 0o040000, symlink: 0o120000 } as const

class MemStats implements FsStats {
  readonly size: bigint
  readonly mode: bigint
  readonly ino: bigint
  readonly mtimeNs: bigint
  readonly mtimeMs: bigint
  readonly ctimeNs: bigint
  readonly #kind: Node['kind']

  constructor (node: Node) {
    this.#kind = node.kind
    this.size = BigInt(node.kind === 'file' ? node.size : node.kind === 'symlink' ? Buffer.byteLength(node.target) : 4096)
    this.mode = BigInt(typeBits[node.kind] | node.mode)
    this.ino = node.ino
    this.mtimeNs = node.mtimeNs
    this.mtimeMs = node.mtimeNs / 1_000_000n
    this.ctimeNs = node.ctimeNs
  }

  isFile (): boolean { return this.#kind === 'file' }
  isDirectory (): boolean { return this.#kind === 'dir' }
  isSymbolicLink (): boolean { return this.#kind === 'symlink' }
}

class MemDirent implements FsDirent {
  constructor (readonly name: string, readonly kind: Node['kind']) {}
  isFile (): boolean { return this.kind === 'file' }
  isDirectory (): boolean { return this.kind === 'dir' }
}

/** Where a path leads: its parent directory, its last name, and what is there. */
interface Place {
  parent: DirNode
  name: string
  node: Node | undefined
}

interface OpenEntry {
  node: FileNode | DirNode
  path: string
  writable: boolean
}

class MemFile implements FsFile {
  constructor (readonly fs: MemoryFs, readonly fd: number) {}

  async read (buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    await aTurn()
    return { bytesRead: this.fs.readFdSync(this.fd, buffer, offset, length, position) }
  }

  async write (buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    await aTurn()
    return { bytesWritten: this.fs.writeFdSync(this.fd, buffer, offset, length, position) }
  }

  async truncate (length: number): Promise<void> {
    await aTurn()
    this.fs.truncateFdSync(this.fd, length)
  }

  async sync (): Promise<void> {
    await aTurn()
    this.fs.syncFdSync(this.fd)
  }

  async close (): Promise<void> {
    await aTurn()
    this.fs.closeFdSync(this.fd)
  }
}

/** Options of {@link MemoryFs}. */
export interface MemoryFsOptions {
  /** The clock's start, in ns since the epoch (default 2026-01-01T00:00:00Z). */
  startNs?: bigint
}

/** A folder file system in memory (see the file header). */
export class MemoryFs implements FolderFs {
  readonly #root: DirNode
  #ino = 1n
  #clockNs: bigint
  #nextFd = 100
  readonly #fds = new Map<number, OpenEntry>()
  #faults: Array<MemoryFault & { left: number }> = []

  constructor (options: MemoryFsOptions = {}) {
    this.#clockNs = options.startNs ?? 1_767_225_600_000_000_000n
    this.#root = { kind: 'dir', entries: new Map(), ino: this.#ino++, mode: 0o755, mtimeNs: this.#clockNs, ctimeNs: this.#clockNs }
  }

  // ---- test controls ---------------------------------------------------------------------

  /** Moves the clock forward (default 1 s): the next changes get later mtimes. */
  tick (ms = 1000): void {
    this.#clockNs += BigInt(Math.round(ms * 1_000_000))
  }

  /** Makes operations fail (see {@link MemoryFault}); returns a function that removes the fault. */
  inject (fault: MemoryFault): () => void {
    const entry = { ...fault, left: fault.times ?? Infinity }
    this.#faults.push(entry)
    return () => { this.#faults = this.#faults.filter((f) => f !== entry) }
  }

  /** Removes every injected fault. */
  clearFaults (): void {
    this.#faults = []
  }

  /** Descriptors open now (a test can check that nothing leaks). */
  get openDescriptors (): number {
    return this.#fds.size
  }

  /** Writes a whole file (creating missing parents, replacing the content in place). */
  writeFileSync (path: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
    this.mkdirpSync(posix.dirname(path))
    const place = this.#place(path, 'open')
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data)
    if (place.node === undefined) {
      place.parent.entries.set(place.name, this.#file(options.mode ?? 0o644, bytes))
      this.#touch(place.parent)
      return
    }
    if (place.node.kind !== 'file') throw sysError('EISDIR', 'open', path)
    place.node.data = bytes
    place.node.size = bytes.length
    if (options.mode !== undefined) place.node.mode = options.mode & 0o7777
    this.#touch(place.node)
  }

  /** A file's content (follows symlinks). */
  readFileSync (path: string): Buffer {
    const node = this.#resolve(path, true, 'open')
    if (node.kind !== 'file') throw sysError('EISDIR', 'read', path)
    return Buffer.from(node.data.subarray(0, node.size))
  }

  /** Creates a directory and its missing parents. */
  mkdirpSync (path: string): void {
    let dir = this.#root
    for (const part of parts(path)) {
      const next = dir.entries.get(part)
      if (next === undefined) {
        const made: DirNode = { kind: 'dir', entries: new Map(), ino: this.#ino++, mode: 0o755, ...this.#times() }
        dir.entries.set(part, made)
        this.#touch(dir)
        dir = made
      } else if (next.kind === 'dir') dir = next
      else throw sysError(next.kind === 'symlink' ? 'EEXIST' : 'ENOTDIR', 'mkdir', path)
    }
  }

  /**
   * Everything under `root`, by relative name: a file's content as text, `<dir>` for a
   * directory, `-> target` for a symlink (for comparing folders in tests).
   */
  snapshot (root: string): Record<string, string> {
    const out: Record<string, string> = {}
    const walk = (dir: DirNode, prefix: string): void => {
      for (const [name, node] of [...dir.entries].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
        const rel = prefix === '' ? name : `${prefix}/${name}`
        if (node.kind === 'file') out[rel] = node.data.subarray(0, node.size).toString()
        else if (node.kind === 'symlink') out[rel] = `-> ${node.target}`
        else {
          out[rel] = '<dir>'
          walk(node, rel)
        }
      }
    }
    const top = this.#resolve(root, true, 'scandir')
    if (top.kind === 'dir') walk(top, '')
    return out
  }

  // ---- FolderFs ----------------------------------------------------------------------------

  lstatSync (path: string): FsStats | undefined {
    this.#fault('lstat', path)
    const place = this.#place(path, 'lstat')
    return place.node === undefined ? undefined : new MemStats(place.node)
  }

  async lstat (path: string): Promise<FsStats> {
    await aTurn()
    const stats = this.lstatSync(path)
    if (stats === undefined) throw sysError('ENOENT', 'lstat', path)
    return stats
  }

  async stat (path: string): Promise<FsStats> {
    await aTurn()
    this.#fault('stat', path)
    return new MemStats(this.#resolve(path, true, 'stat'))
  }

  async readlink (path: string): Promise<string> {
    await aTurn()
    return this.readlinkSync(path)
  }

  readlinkSync (path: string): string {
    this.#fault('readlink', path)
    const node = this.#resolve(path, false, 'readlink')
    if (node.kind !== 'symlink') throw sysError('EINVAL', 'readlink', path)
    return node.target
  }

  async readdir (path: string): Promise<FsDirent[]> {
    await aTurn()
    return this.readdirSync(path)
  }

  readdirSync (path: string): FsDirent[] {
    this.#fault('readdir', path)
    const node = this.#resolve(path, true, 'scandir')
    if (node.kind !== 'dir') throw sysError('ENOTDIR', 'scandir', path)
    return [...node.entries].map(([name, n]) => new MemDirent(name, n.kind))
  }

  async readFile (path: string): Promise<Buffer> {
    await aTurn()
    this.#fault('readFile', path)
    return this.readFileSync(path)
  }

  async appendFile (path: string, data: string): Promise<void> {
    await aTurn()
    this.#fault('write', path)
    const place = this.#place(path, 'open')
    if (place.node === undefined) {
      place.parent.entries.set(place.name, this.#file(0o644, Buffer.from(data)))
      this.#touch(place.parent)
      return
    }
    const node = place.node.kind === 'symlink' ? this.#resolve(path, true, 'open') : place.node
    if (node.kind !== 'file') throw sysError('EISDIR', 'open', path)
    if (data.length === 0) return
    this.#writeAt(node, Buffer.from(data), node.size)
  }

  async openFd (path: string, noFollow: boolean): Promise<number> {
    await aTurn()
    return this.openFdSync(path, noFollow)
  }

  openFdSync (path: string, noFollow: boolean): number {
    this.#fault('open', path)
    const node = this.#resolve(path, !noFollow, 'open')
    if (node.kind === 'symlink') throw sysError('ELOOP', 'open', path)
    return this.#allocFd({ node, path, writable: false })
  }

  async readFd (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    await aTurn()
    return this.readFdSync(fd, buffer, offset, length, position)
  }

  readFdSync (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const entry = this.#fd(fd, 'read')
    this.#fault('read', entry.path)
    if (entry.node.kind !== 'file') throw sysError('EISDIR', 'read')
    const node = entry.node
    if (position >= node.size) return 0
    const n = Math.min(length, node.size - position)
    buffer.set(node.data.subarray(position, position + n), offset)
    return n
  }

  fstatSync (fd: number): FsStats {
    return new MemStats(this.#fd(fd, 'fstat').node)
  }

  closeFdSync (fd: number): void {
    this.#fd(fd, 'close')
    this.#fds.delete(fd)
  }

  async openFile (path: string, mode: OpenMode): Promise<FsFile> {
    await aTurn()
    this.#fault('open', path)
    const place = this.#place(path, 'open')
    let node = place.node
    if (mode === 'create') {
      if (node !== undefined) throw sysError('EEXIST', 'open', path)
      node = this.#file(0o600, Buffer.alloc(0))
      place.parent.entries.set(place.name, node)
      this.#touch(place.parent)
    }
    if (node === undefined) throw sysError('ENOENT', 'open', path)
    if (node.kind === 'symlink') throw sysError('ELOOP', 'open', path)
    if (node.kind === 'dir') throw sysError('EISDIR', 'open', path)
    return new MemFile(this, this.#allocFd({ node, path, writable: mode !== 'read' }))
  }

  fchmodSync (file: FsFile, mode: number): void {
    const entry = this.#fd(file.fd, 'fchmod')
    this.#fault('chmod', entry.path)
    entry.node.mode = mode & 0o7777
    this.#changed(entry.node)
  }

  futimesSync (file: FsFile, mtimeS: number): void {
    const entry = this.#fd(file.fd, 'futime')
    this.#fault('utimes', entry.path)
    entry.node.mtimeNs = secondsToNs(mtimeS)
    this.#changed(entry.node)
  }

  async mkdir (path: string, mode: number): Promise<void> {
    await aTurn()
    this.#fault('mkdir', path)
    const place = this.#place(path, 'mkdir')
    if (place.node !== undefined) throw sysError('EEXIST', 'mkdir', path)
    place.parent.entries.set(place.name, { kind: 'dir', entries: new Map(), ino: this.#ino++, mode: mode & 0o7777, ...this.#times() })
    this.#touch(place.parent)
  }

  async mkdirp (path: string): Promise<void> {
    await aTurn()
    this.#fault('mkdir', path)
    this.mkdirpSync(path)
  }

  async chmod (path: string, mode: number): Promise<void> {
    await aTurn()
    this.#fault('chmod', path)
    const node = this.#resolve(path, true, 'chmod')
    node.mode = mode & 0o7777
    this.#changed(node)
  }

  async utimes (path: string, mtimeS: number): Promise<void> {
    await aTurn()
    this.#fault('utimes', path)
    const node = this.#resolve(path, true, 'utime')
    node.mtimeNs = secondsToNs(mtimeS)
    this.#changed(node)
  }

  async symlink (target: string, path: string): Promise<void> {
    await aTurn()
    this.#fault('symlink', path)
    const place = this.#place(path, 'symlink')
    if (place.node !== undefined) throw sysError('EEXIST', 'symlink', path)
    place.parent.entries.set(place.name, { kind: 'symlink', target, ino: this.#ino++, mode: 0o777, ...this.#times() })
    this.#touch(place.parent)
  }

  async unlink (path: string): Promise<void> {
    await aTurn()
    this.#fault('unlink', path)
    const place = this.#place(path, 'unlink')
    if (place.node === undefined) throw sysError('ENOENT', 'unlink', path)
    if (place.node.kind === 'dir') throw sysError('EISDIR', 'unlink', path)
    place.parent.entries.delete(place.name)
    this.#touch(place.parent)
  }

  async rmdir (path: string): Promise<void> {
    await aTurn()
    this.#fault('rmdir', path)
    const place = this.#place(path, 'rmdir')
    if (place.node === undefined) throw sysError('ENOENT', 'rmdir', path)
    if (place.node.kind !== 'dir') throw sysError('ENOTDIR', 'rmdir', path)
    if (place.node.entries.size > 0) throw sysError('ENOTEMPTY', 'rmdir', path)
    place.parent.entries.delete(place.name)
    this.#touch(place.parent)
  }

  async rename (from: string, to: string): Promise<void> {
    await aTurn()
    this.#fault('rename', from)
    const src = this.#place(from, 'rename')
    const dst = this.#place(to, 'rename')
    const node = src.node
    if (node === undefined) throw sysError('ENOENT', 'rename', from)
    if (node === dst.node) return
    if (node.kind === 'dir' && (posix.normalize(to) + '/').startsWith(posix.normalize(from) + '/')) throw sysError('EINVAL', 'rename', from)
    const old = dst.node
    if (old !== undefined) {
      if (node.kind === 'dir' && old.kind !== 'dir') throw sysError('ENOTDIR', 'rename', to)
      if (node.kind !== 'dir' && old.kind === 'dir') throw sysError('EISDIR', 'rename', to)
      if (old.kind === 'dir' && old.entries.size > 0) throw sysError('ENOTEMPTY', 'rename', to)
    }
    src.parent.entries.delete(src.name)
    dst.parent.entries.set(dst.name, node)
    this.#touch(src.parent)
    this.#touch(dst.parent)
  }

  async fsyncDir (path: string): Promise<void> {
    await aTurn()
    this.#fault('fsync', path)
    const node = this.#resolve(path, true, 'open')
    if (node.kind !== 'dir') throw sysError('ENOTDIR', 'open', path)
  }

  // ---- used by MemFile -------------------------------------------------------------------

  /** Positioned write through a descriptor opened for writing. */
  writeFdSync (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const entry = this.#fd(fd, 'write')
    this.#fault('write', entry.path)
    if (!entry.writable || entry.node.kind !== 'file') throw sysError('EBADF', 'write')
    this.#writeAt(entry.node, buffer.subarray(offset, offset + length), position)
    return length
  }

  /** Truncates (or extends with zeros) a file open for writing. */
  truncateFdSync (fd: number, length: number): void {
    const entry = this.#fd(fd, 'ftruncate')
    this.#fault('truncate', entry.path)
    if (!entry.writable || entry.node.kind !== 'file') throw sysError('EINVAL', 'ftruncate')
    const node = entry.node
    if (length > node.data.length) node.data = grow(node.data, length)
    if (length > node.size) node.data.fill(0, node.size, length)
    node.size = length
    this.#touch(node)
  }

  /** fsync of an open file: nothing to flush, but faults apply. */
  syncFdSync (fd: number): void {
    const entry = this.#fd(fd, 'fsync')
    this.#fault('fsync', entry.path)
  }

  // ---- internals ---------------------------------------------------------------------------

  #now (): bigint {
    this.#clockNs += 1_000_000n
    return this.#clockNs
  }

  #touch (node: Node): void {
    node.mtimeNs = this.#now()
    node.ctimeNs = node.mtimeNs
  }

  /** Metadata changed (mode, times): the change time moves, the modification time does not. */
  #changed (node: Node): void {
    node.ctimeNs = this.#now()
  }

  #times (): { mtimeNs: bigint, ctimeNs: bigint } {
    const now = this.#now()
    return { mtimeNs: now, ctimeNs: now }
  }

  #file (mode: number, data: Buffer): FileNode {
    return { kind: 'file', data, size: data.length, ino: this.#ino++, mode, ...this.#times() }
  }

  #writeAt (node: FileNode, data: Uint8Array, position: number): void {
    const end = position + data.length
    if (end > node.data.length) node.data = grow(node.data, end)
    if (position > node.size) node.data.fill(0, node.size, position)
    node.data.set(data, position)
    if (end > node.size) node.size = end
    this.#touch(node)
  }

  #allocFd (entry: OpenEntry): number {
    const fd = this.#nextFd++
    this.#fds.set(fd, entry)
    return fd
  }

  #fd (fd: number, syscall: string): OpenEntry {
    const entry = this.#fds.get(fd)
    if (entry === undefined) throw sysError('EBADF', syscall)
    return entry
  }

  #fault (op: MemoryFsOp, path: string): void {
    for (const f of this.#faults) {
      if (f.op !== op || f.left <= 0) continue
      if (f.path !== undefined) {
        const hit = typeof f.path === 'string' ? path === f.path || path.startsWith(f.path + '/') : f.path.test(path)
        if (!hit) continue
      }
      f.left--
      throw sysError(f.code, op, path)
    }
  }

  /** Follows the path to its parent directory (symlinks on the way followed), and looks up the last name. */
  #place (path: string, syscall: string, depth = 0): Place {
    const names = parts(path)
    const last = names.pop()
    if (last === undefined) return { parent: this.#root, name: '', node: this.#root }
    let dir = this.#root
    let at = '/'
    for (const name of names) {
      let next = dir.entries.get(name)
      at = posix.join(at, name)
      if (next?.kind === 'symlink') next = this.#follow(next, posix.dirname(at), syscall, path, depth)
      if (next === undefined) throw sysError('ENOENT', syscall, path)
      if (next.kind !== 'dir') throw sysError('ENOTDIR', syscall, path)
      dir = next
    }
    return { parent: dir, name: last, node: dir.entries.get(last) }
  }

  #follow (link: LinkNode, dir: string, syscall: string, path: string, depth: number): Node | undefined {
    if (depth >= 40) throw sysError('ELOOP', syscall, path)
    const target = posix.resolve(dir, link.target)
    const place = this.#place(target, syscall, depth + 1)
    if (place.node?.kind === 'symlink') return this.#follow(place.node, posix.dirname(target), syscall, path, depth + 1)
    return place.node
  }

  /** The node at `path` (the last symlink followed when asked); ENOENT when there is none. */
  #resolve (path: string, followLast: boolean, syscall: string): Node {
    const place = this.#place(path, syscall)
    let node = place.node
    if (followLast && node?.kind === 'symlink') node = this.#follow(node, posix.dirname(posix.resolve('/', path)), syscall, path, 0)
    if (node === undefined) throw sysError('ENOENT', syscall, path)
    return node
  }
}

/** Every asynchronous call takes a turn of the microtask queue, as a real one would take longer. */
async function aTurn (): Promise<void> {
  await Promise.resolve()
}

function parts (path: string): string[] {
  return posix.resolve('/', path).split('/').filter((p) => p !== '')
}

function grow (data: Buffer, size: number): Buffer {
  const bigger = Buffer.alloc(Math.max(size, data.length * 2, 64))
  data.copy(bigger)
  return bigger
}

function secondsToNs (s: number): bigint {
  const whole = Math.floor(s)
  const ns = Math.min(999_999_999, Math.max(0, Math.round((s - whole) * 1e9)))
  return BigInt(whole) * 1_000_000_000n + BigInt(ns)
}

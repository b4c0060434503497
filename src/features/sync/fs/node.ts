/**
 * The real disk behind {@link FolderFs}: thin calls into node:fs with the choices the sync
 * engine depends on. lstat, opening, closing, renaming and the metadata of open files run on
 * the calling thread (the kernel answers them from its caches in microseconds, where each trip
 * through libuv's thread pool costs the event loop tens: on a 2-core machine a pull of 10,000
 * small files spent a sixth of its main thread's time in such trips), and so do reads and
 * writes of small blocks; larger reads and writes, and every fsync, go to the pool.
 * Descriptor reads use node:fs's callback API (no FileHandle object per read); files the
 * puller opens never follow a symlink at their path (O_NOFOLLOW), and reads by descriptor open
 * non-blocking so a FIFO never hangs the engine. Errors are node:fs's own, unchanged.
 */
import {
  closeSync, constants, fchmodSync, fstatSync, fsync as fsyncCb, ftruncateSync, futimesSync, lstatSync, open as openCb, openSync,
  read as readCb, readdirSync, readlinkSync, readSync, renameSync, write as writeCb, writeSync
} from 'node:fs'
import { appendFile, chmod, lstat, mkdir, open, readdir, readFile, readlink, rmdir, stat, symlink, unlink, utimes } from 'node:fs/promises'
import { errnoCode } from './errors.js'
import type { FolderFs, FsDirent, FsFile, FsStats, OpenMode } from './types.js'

const noFollow = constants.O_NOFOLLOW ?? 0
const nonBlock = constants.O_NONBLOCK ?? 0
const readFollow = constants.O_RDONLY | nonBlock
const readNoFollow = constants.O_RDONLY | noFollow | nonBlock

const openFlags: Record<OpenMode, number> = {
  read: constants.O_RDONLY | noFollow,
  update: constants.O_RDWR | noFollow,
  create: constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | noFollow
}

/** Reads and writes up to this size run on the calling thread: from and to the page cache, microseconds. */
const smallIo = 64 * 1024

/** Runs a synchronous call as a settled promise (its error as a rejection, as the async call would give). */
function settled<T> (fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)))
  }
}

/**
 * An open file by descriptor: small reads and writes, truncation and closing on the calling
 * thread, the rest (and fsync) in the pool. Closing twice is a no-op, never a close of a
 * descriptor number the system has since given to another file.
 */
class DiskFile implements FsFile {
  #fd: number
  #closed = false

  constructor (fd: number) {
    this.#fd = fd
  }

  get fd (): number {
    return this.#fd
  }

  read (buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    if (length <= smallIo) return settled(() => ({ bytesRead: readSync(this.#open(), buffer, offset, length, position) }))
    return new Promise((resolve, reject) => {
      readCb(this.#open(), buffer, offset, length, position, (err, bytesRead) => err === null ? resolve({ bytesRead }) : reject(err))
    })
  }

  write (buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    if (length <= smallIo) return settled(() => ({ bytesWritten: writeSync(this.#open(), buffer, offset, length, position) }))
    return new Promise((resolve, reject) => {
      writeCb(this.#open(), buffer, offset, length, position, (err, bytesWritten) => err === null ? resolve({ bytesWritten }) : reject(err))
    })
  }

  truncate (length: number): Promise<void> {
    return settled(() => { ftruncateSync(this.#open(), length) })
  }

  sync (): Promise<void> {
    return new Promise((resolve, reject) => { fsyncCb(this.#open(), (err) => err === null ? resolve() : reject(err)) })
  }

  close (): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    return settled(() => { closeSync(this.#fd) })
  }

  #open (): number {
    if (this.#closed) throw Object.assign(new Error('EBADF: file already closed'), { code: 'EBADF' })
    return this.#fd
  }
}

/**
 * The folder's file system on the real disk, through node:fs. Stateless: share {@link nodeFs}.
 * Methods hand node:fs's promises back as they are (no async wrapper, no extra promise per call).
 */
export class NodeFs implements FolderFs {
  lstatSync (path: string): FsStats | undefined {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false })
  }

  lstat (path: string): Promise<FsStats> {
    return lstat(path, { bigint: true })
  }

  stat (path: string): Promise<FsStats> {
    return stat(path, { bigint: true })
  }

  readlink (path: string): Promise<string> {
    return readlink(path)
  }

  readlinkSync (path: string): string {
    return readlinkSync(path)
  }

  readdir (path: string): Promise<FsDirent[]> {
    return readdir(path, { withFileTypes: true })
  }

  readdirSync (path: string): FsDirent[] {
    return readdirSync(path, { withFileTypes: true })
  }

  readFile (path: string): Promise<Buffer> {
    return readFile(path)
  }

  appendFile (path: string, data: string): Promise<void> {
    return appendFile(path, data)
  }

  // openFd and readFd: node:fs's callback API in one promise (no FileHandle), on the path of every block read.
  openFd (path: string, noFollow: boolean): Promise<number> {
    const flags = noFollow ? readNoFollow : readFollow
    return new Promise((resolve, reject) => openCb(path, flags, (err, fd) => err === null ? resolve(fd) : reject(err)))
  }

  openFdSync (path: string, noFollow: boolean): number {
    return openSync(path, noFollow ? readNoFollow : readFollow)
  }

  readFd (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return new Promise((resolve, reject) => readCb(fd, buffer, offset, length, position, (err, n) => err === null ? resolve(n) : reject(err)))
  }

  readFdSync (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return readSync(fd, buffer, offset, length, position)
  }

  fstatSync (fd: number): FsStats {
    return fstatSync(fd, { bigint: true })
  }

  closeFdSync (fd: number): void {
    closeSync(fd)
  }

  openFile (path: string, mode: OpenMode): Promise<FsFile> {
    return settled(() => new DiskFile(openSync(path, openFlags[mode], mode === 'create' ? 0o600 : undefined)))
  }

  fchmodSync (file: FsFile, mode: number): void {
    fchmodSync(file.fd, mode)
  }

  futimesSync (file: FsFile, mtimeS: number): void {
    futimesSync(file.fd, new Date(), mtimeS)
  }

  async mkdir (path: string, mode: number): Promise<void> {
    await mkdir(path, { mode })
  }

  async mkdirp (path: string): Promise<void> {
    await mkdir(path, { recursive: true })
  }

  chmod (path: string, mode: number): Promise<void> {
    return chmod(path, mode)
  }

  async utimes (path: string, mtimeS: number): Promise<void> {
    await utimes(path, new Date(), mtimeS)
  }

  symlink (target: string, path: string): Promise<void> {
    return symlink(target, path)
  }

  unlink (path: string): Promise<void> {
    return unlink(path)
  }

  rmdir (path: string): Promise<void> {
    return rmdir(path)
  }

  rename (from: string, to: string): Promise<void> {
    return settled(() => { renameSync(from, to) })
  }

  async fsyncDir (path: string): Promise<void> {
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } catch (err) {
      // Some file systems refuse fsync on directories (EINVAL); there is nothing more to do there.
      if (errnoCode(err) !== 'EINVAL' && errnoCode(err) !== 'EISDIR') throw err
    } finally {
      await handle.close()
    }
  }
}

/** The real disk: the default file system of every folder. */
export const nodeFs: FolderFs = new NodeFs()

/**
 * The real disk behind {@link FolderFs}: thin calls into node:fs with the choices the sync
 * engine depends on. lstat and the metadata of open files run on the calling thread (the
 * kernel answers them from its caches); descriptor reads use node:fs's callback API (no
 * FileHandle object per read); files the puller opens never follow a symlink at their path
 * (O_NOFOLLOW), and reads by descriptor open non-blocking so a FIFO never hangs the engine.
 * Errors are node:fs's own, unchanged.
 */
import {
  closeSync, constants, fchmodSync, fstatSync, futimesSync, lstatSync, open as openCb, openSync, read as readCb,
  readdirSync, readlinkSync, readSync
} from 'node:fs'
import { appendFile, chmod, lstat, mkdir, open, readdir, readFile, readlink, rename, rmdir, stat, symlink, unlink, utimes } from 'node:fs/promises'
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
    return open(path, openFlags[mode], mode === 'create' ? 0o600 : undefined)
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
    return rename(from, to)
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

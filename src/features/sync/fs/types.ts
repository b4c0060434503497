/**
 * The file system of a sync folder, as one interface: what the scanner, the puller and the
 * block server do on disk. {@link NodeFs} (node.ts) is the real disk and the default
 * everywhere; {@link MemoryFs} (memory.ts) is a pure, deterministic one for in-process tests,
 * with injectable faults. Paths are absolute (the folder root joined with a name, as today);
 * errors are Node-style system errors carrying `code` (`ENOENT`, `ENOSPC`, ...), which
 * errors.ts turns into WeftErrors. The metadata types are the subsets of Node's BigIntStats
 * and Dirent the sync code reads, so the Node implementation hands Node's objects out as they
 * are (no copy per call).
 */

/** What lstat tells about an entry (a subset of Node's BigIntStats). */
export interface FsStats {
  readonly size: bigint
  readonly mode: bigint
  readonly ino: bigint
  readonly mtimeNs: bigint
  readonly mtimeMs: bigint
  /** Last change of content or metadata (ns). */
  readonly ctimeNs: bigint
  isFile: () => boolean
  isDirectory: () => boolean
  isSymbolicLink: () => boolean
}

/** One entry of a directory listing (a subset of Node's Dirent). */
export interface FsDirent {
  readonly name: string
  isFile: () => boolean
  isDirectory: () => boolean
}

/**
 * An open file for positioned reads and writes (Node's FileHandle fits it as it is). `fd` is
 * the descriptor the synchronous calls of {@link FolderFs} take.
 */
export interface FsFile {
  readonly fd: number
  read: (buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>
  write: (buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>
  truncate: (length: number) => Promise<void>
  sync: () => Promise<void>
  close: () => Promise<void>
}

/**
 * How {@link FolderFs.openFile} opens (never following a symlink at the path): `read`;
 * `update` (read and write an existing file); `create` (read and write a new file that must
 * not exist yet, mode 0o600).
 */
export type OpenMode = 'read' | 'update' | 'create'

/**
 * A folder's file system. Methods ending in `Sync` run on the calling thread (meant for calls
 * the kernel answers from its caches: lstat, small listings and reads, metadata of an open
 * file); the others may run elsewhere (Node's thread pool). Every method throws (or rejects
 * with) a system error with a `code`.
 */
export interface FolderFs {
  /** lstat (bigint times); `undefined` when nothing is at `path`. */
  lstatSync: (path: string) => FsStats | undefined
  /** lstat; rejects with ENOENT when nothing is there. */
  lstat: (path: string) => Promise<FsStats>
  /** stat (follows symlinks). */
  stat: (path: string) => Promise<FsStats>
  readlink: (path: string) => Promise<string>
  readlinkSync: (path: string) => string
  readdir: (path: string) => Promise<FsDirent[]>
  readdirSync: (path: string) => FsDirent[]
  readFile: (path: string) => Promise<Buffer>
  /** Appends `data` to the file at `path`, creating it (used to create marker files). */
  appendFile: (path: string, data: string) => Promise<void>

  /** Opens for reading by descriptor, non-blocking (a FIFO put in a file's place never hangs). */
  openFd: (path: string, noFollow: boolean) => Promise<number>
  openFdSync: (path: string, noFollow: boolean) => number
  /** Positioned read into `buffer`; resolves with the bytes read (0 at the end). */
  readFd: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => Promise<number>
  readFdSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number
  fstatSync: (fd: number) => FsStats
  closeFdSync: (fd: number) => void

  /** Opens a file for positioned reads and writes (see {@link OpenMode}). */
  openFile: (path: string, mode: OpenMode) => Promise<FsFile>
  /** Sets the permissions of an open file (on the calling thread). */
  fchmodSync: (file: FsFile, mode: number) => void
  /** Sets the modification time (seconds, fractional) of an open file; atime is now. */
  futimesSync: (file: FsFile, mtimeS: number) => void

  mkdir: (path: string, mode: number) => Promise<void>
  /** Creates `path` and its missing parents (no error when it exists). */
  mkdirp: (path: string) => Promise<void>
  chmod: (path: string, mode: number) => Promise<void>
  utimes: (path: string, mtimeS: number) => Promise<void>
  symlink: (target: string, path: string) => Promise<void>
  unlink: (path: string) => Promise<void>
  rmdir: (path: string) => Promise<void>
  rename: (from: string, to: string) => Promise<void>
  /** Flushes a directory's entries; file systems that refuse (EINVAL, EISDIR) are no failure. */
  fsyncDir: (path: string) => Promise<void>
}

/**
 * Hashing files into BEP blocks (SHA-256 per block, node:crypto). A FileHasher opens and reads
 * asynchronously (fstat and close, which never wait for the disk, are synchronous), with
 * large positional reads into two buffers that it reuses from file to file, and
 * overlaps the read of the next chunk (thread pool) with hashing the current one (main
 * thread), so throughput stays close to raw SHA-256 speed. Blocks may span chunks: a block's
 * hash is fed incrementally, so memory stays at two chunks whatever the block size.
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { WeftError } from '../../../core/errors.js'
import type { AbortOptions } from '../../../core/lifecycle.js'
import type { BlockInfo } from '../types.js'
import { blockSizeFor } from './blocksize.js'
import { checkAborted, fsError } from '../fs/errors.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs, FsStats } from '../fs/types.js'

/** SHA-256 of zero bytes: the hash of the single, empty block of an empty file. */
export const sha256OfNothing: Uint8Array = new Uint8Array(createHash('sha256').digest())

/** Default read size: 4 MiB per read, two buffers per hasher (measured best on one core). */
export const defaultChunkSize = 4 * 1024 * 1024

/** Smallest buffers a hasher allocates. */
const minBuffer = 64 * 1024

/** The block list of one file, as read. */
export interface HashedFile {
  /** Bytes read (the size at open time, or less if the file shrank meanwhile). */
  size: number
  blockSize: number
  blocks: BlockInfo[]
  /** Modification time (ns since the epoch) of the file when opened: what the blocks describe. */
  mtimeNs: bigint
}

/** Options of a file hash. */
export interface HashFileOptions extends AbortOptions {
  /** Force a block size instead of the BEP rule (tests, re-hashing to a peer's size). */
  blockSize?: number
}

/** The hashing function the scanner calls (a FileHasher's `hashFile`, or a test double). */
export type HashFileFn = (path: string, opts?: HashFileOptions) => Promise<HashedFile>

/** Cuts a byte stream into blocks of `blockSize` and hashes each; feed with push(), end with finish(). */
export class BlockAccumulator {
  private readonly blocks: BlockInfo[] = []
  private hash: Hash | undefined
  private filled = 0
  private offset = 0

  constructor (readonly blockSize: number) {}

  /** Adds the next bytes of the stream. */
  push (data: Uint8Array): void {
    let pos = 0
    while (pos < data.length) {
      const take = Math.min(this.blockSize - this.filled, data.length - pos)
      const part = data.subarray(pos, pos + take)
      if (this.filled === 0 && take === this.blockSize) {
        this.blocks.push({ offset: this.offset, size: take, hash: createHash('sha256').update(part).digest() })
        this.offset += take
      } else {
        this.hash ??= createHash('sha256')
        this.hash.update(part)
        this.filled += take
        if (this.filled === this.blockSize) this.flush()
      }
      pos += take
    }
  }

  /** Ends the stream; an empty stream gives one empty block, as in Syncthing. */
  finish (): BlockInfo[] {
    this.flush()
    if (this.blocks.length === 0) this.blocks.push({ offset: 0, size: 0, hash: sha256OfNothing })
    return this.blocks
  }

  private flush (): void {
    if (this.filled === 0 || this.hash === undefined) return
    this.blocks.push({ offset: this.offset, size: this.filled, hash: this.hash.digest() })
    this.offset += this.filled
    this.filled = 0
    this.hash = undefined
  }
}

/** Hashes bytes in memory into blocks (BEP block size rule unless `blockSize` is given). */
export function hashBlocks (data: Uint8Array, blockSize = blockSizeFor(data.length)): BlockInfo[] {
  const acc = new BlockAccumulator(blockSize)
  acc.push(data)
  return acc.finish()
}

/** Options of a FileHasher. */
export interface FileHasherOptions {
  /**
   * Largest read (default 4 MiB). Two buffers are kept, sized to the largest file hashed so
   * far up to this size, so hashing only small files keeps memory small.
   */
  chunkSize?: number
  /** The file system files are read from (default: the real disk). */
  fs?: FolderFs
}

/**
 * Hashes files into blocks with reused buffers. One hash at a time per instance: a call made
 * while another runs gets buffers of its own (correct, but without reuse), so give each
 * concurrent worker its own FileHasher.
 */
export class FileHasher {
  private readonly chunkSize: number
  private readonly fs: FolderFs
  private buffers: [Buffer, Buffer] | undefined
  private busy = false

  constructor (opts: FileHasherOptions = {}) {
    this.chunkSize = opts.chunkSize ?? defaultChunkSize
    this.fs = opts.fs ?? nodeFs
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 4096) {
      throw new WeftError('INVALID_ARGUMENT', `chunk size ${this.chunkSize} is too small (minimum 4096)`)
    }
  }

  /**
   * Hashes the file at `path`. Throws WeftError (`NOT_FOUND`, `FORBIDDEN`, `ABORTED`, ...), and
   * `INTERNAL` when a file needing several reads changed size or mtime while being read.
   */
  readonly hashFile: HashFileFn = async (path, opts = {}) => {
    checkAborted(opts.signal, `hashing ${path}`)
    const own = !this.busy
    if (own) this.busy = true
    try {
      return await this.hashWith(path, own, opts)
    } catch (err) {
      throw fsError(err, 'hashing', path)
    } finally {
      if (own) this.busy = false
    }
  }

  /**
   * Hashes a file of at most `maxBytes` with synchronous calls (open, fstat, one read, close),
   * which costs a fraction of four thread-pool round trips when the file is in the page cache;
   * the caller decides when blocking is acceptable. Returns `undefined` (nothing hashed) when the
   * file turns out larger. Throws as {@link hashFile}.
   */
  hashSmallFileSync (path: string, maxBytes: number, opts: HashFileOptions = {}): HashedFile | undefined {
    checkAborted(opts.signal, `hashing ${path}`)
    if (this.busy) return undefined
    let fd: number | undefined
    try {
      // Opened without blocking on a FIFO that replaced the file since it was listed.
      fd = this.fs.openFdSync(path, false)
      const st = this.fs.fstatSync(fd)
      if (!st.isFile()) throw new WeftError('INVALID_ARGUMENT', `hashing ${path}: not a regular file`)
      const size = Number(st.size)
      if (size > maxBytes || size > this.chunkSize) return undefined
      const [buf] = this.buffersFor(size, true)
      let position = 0
      for (let n = 1; n > 0 && position < size; position += n) n = this.fs.readFdSync(fd, buf, position, size - position, position)
      const blocks = hashBlocks(buf.subarray(0, position), opts.blockSize ?? blockSizeFor(size))
      return { size: position, blockSize: opts.blockSize ?? blockSizeFor(size), blocks, mtimeNs: st.mtimeNs }
    } catch (err) {
      throw fsError(err, 'hashing', path)
    } finally {
      if (fd !== undefined) this.fs.closeFdSync(fd)
    }
  }

  /** Read buffers for a file of `size` bytes: the kept ones (grown if needed), or fresh ones. */
  private buffersFor (size: number, own: boolean): [Buffer, Buffer] {
    const need = Math.min(this.chunkSize, 2 ** Math.ceil(Math.log2(Math.max(size, minBuffer))))
    if (own && this.buffers !== undefined && this.buffers[0].length >= need) return this.buffers
    const fresh: [Buffer, Buffer] = [Buffer.allocUnsafeSlow(need), Buffer.allocUnsafeSlow(need)]
    if (own) this.buffers = fresh
    return fresh
  }

  private async hashWith (path: string, own: boolean, opts: HashFileOptions): Promise<HashedFile> {
    const fd = await this.fs.openFd(path, false)
    let pending: Promise<number> | undefined
    try {
      // fstat and close of an open descriptor never wait for the disk: done in place, they
      // spare two thread-pool round trips per file (half the cost of hashing a small file).
      const st = this.fs.fstatSync(fd)
      if (!st.isFile()) throw new WeftError('INVALID_ARGUMENT', `hashing ${path}: not a regular file`)
      const size = Number(st.size)
      const blockSize = opts.blockSize ?? blockSizeFor(size)
      const acc = new BlockAccumulator(blockSize)
      let [current, next] = this.buffersFor(size, own)
      const chunk = current.length
      let position = 0
      pending = size > 0 ? this.fs.readFd(fd, current, 0, Math.min(chunk, size), 0) : undefined
      while (pending !== undefined) {
        const n = await pending
        pending = undefined
        if (n === 0) break
        position += n
        checkAborted(opts.signal, `hashing ${path}`)
        // Start reading the next chunk before hashing this one.
        if (position < size) pending = this.fs.readFd(fd, next, 0, Math.min(chunk, size - position), position)
        acc.push(current.subarray(0, n))
        ;[current, next] = [next, current]
      }
      if (position > chunk) this.checkUnchanged(fd, st, path)
      return { size: position, blockSize, blocks: acc.finish(), mtimeNs: st.mtimeNs }
    } finally {
      // Never close the descriptor (or reuse the buffer) under a read still in flight.
      if (pending !== undefined) await pending.catch(() => 0)
      this.fs.closeFdSync(fd)
    }
  }

  private checkUnchanged (fd: number, before: FsStats, path: string): void {
    const after = this.fs.fstatSync(fd)
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
      throw new WeftError('INTERNAL', `hashing ${path}: changed while being read`)
    }
  }
}

/**
 * Serving peers' block Requests in one step per block: the file stays open across its blocks
 * (a small set of open files, each closed when idle for a moment or when the set is full), the
 * index is asked once per opened file whether the name is a current local file, and the block
 * is read straight into the Response frame that goes on the wire (header laid out around it).
 * A file changed since the scan answers `invalidFile` and asks for a rescan, as Syncthing
 * does: when the opened file's size, modification time and inode are the ones the index
 * recorded at the scan, and stay so while it is served (an fstat after each read), its blocks
 * are the scanned ones and go out without hashing them again; otherwise each block is checked
 * against the requested SHA-256. The receiver checks every block whatever the sender did.
 * Reads run in the thread pool, a bounded number at once.
 */
import { createHash } from 'node:crypto'
import type { BepRequest, BepResponseCode } from '../wire/messages.js'
import { responseFrame } from '../wire/response-frame.js'
import { encodeFrame } from '../wire/framing.js'
import { BufferPool } from '../wire/buffer-pool.js'
import { CheckedDirs, nameProblem, resolveInFolder } from '../fs/names.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'
import type { BlockInfo, FolderId } from '../types.js'

/** Largest block a Request may ask for (BEP's 16 MiB). */
const maxRequestBytes = 16 * 1024 * 1024
/**
 * Blocks up to this size (small files) are opened and read on the event loop's thread: from
 * the page cache that takes microseconds, while each trip through the thread pool costs the
 * loop tens of microseconds, which is most of the cost of serving a small file.
 */
const smallBlock = 64 * 1024

/** Options of {@link BlockServer}. */
export interface BlockServerOptions {
  /**
   * The index's record of `name` when it is a current regular file of `folder`, else
   * undefined (asked once per open).
   */
  servable: (folder: FolderId, name: string) => ServableRecord | undefined
  /** Files kept open at once (default 32). */
  maxOpenFiles?: number
  /** An open file unused for this long is closed (default 2 s). */
  idleCloseMs?: number
  /** Reads in flight at once (default 8). */
  maxReads?: number
  /** Test fault: flip a bit of every block served. */
  corrupt?: boolean
  /** The file system folders are read from (default: the real disk). */
  fs?: FolderFs
}

/** A served request: the frame to send, and whether the file on disk no longer matches the index. */
export interface Served {
  frame: Uint8Array
  code: BepResponseCode
  /** Gives the frame's buffer back to the pool: call once the transport no longer holds it. */
  release?: () => void
  /** The block read differs from the requested hash: the file changed since it was scanned. */
  changed?: boolean
}

/** What the index recorded of a file at its last scan. */
export interface ServableRecord {
  size: number
  modifiedS: number
  modifiedNs: number
  /** Inode at the scan, when known. */
  inode?: number
  blockSize: number
  blocks: readonly BlockInfo[]
}

/** The open file as it was when it matched its index record: while it stays so, no hashing. */
interface Stamp {
  size: bigint
  mtimeNs: bigint
  ctimeNs: bigint
  /** The record's blocks: what the file holds while the stamp holds. */
  blockSize: number
  blocks: readonly BlockInfo[]
}

interface OpenFile {
  fd: number
  /** Set when the file matched its index record at open. */
  stamp: Stamp | undefined
  lastUsed: number
  users: number
  /** Set once the entry was dropped from the table; the last user closes the descriptor. */
  dropped: boolean
}

/** Opens for reading, never through a symlink, without blocking on a FIFO. */
async function openFd (fs: FolderFs, path: string, small: boolean): Promise<number> {
  if (small) return fs.openFdSync(path, true)
  return await fs.openFd(path, true)
}

async function readInto (fs: FolderFs, fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  if (length <= smallBlock) return fs.readFdSync(fd, buf, offset, length, position)
  return await fs.readFd(fd, buf, offset, length, position)
}

function closeFd (fs: FolderFs, fd: number): void {
  try {
    fs.closeFdSync(fd)
  } catch {
    // Closing a read-only descriptor fails only if it is already gone; nothing to recover.
  }
}

/** Answers block requests for the folders of one device. */
export class BlockServer {
  readonly #o: BlockServerOptions
  readonly #fs: FolderFs
  readonly #files = new Map<string, OpenFile>()
  readonly #opening = new Map<string, Promise<OpenFile>>()
  readonly #dirs = new CheckedDirs()
  readonly #waiting: Array<() => void> = []
  /** Frames are reused once sent: a fresh 128 KiB each made V8 collect its whole heap several times a second. */
  readonly #frames = new BufferPool()
  readonly #alloc = (size: number): Buffer => this.#frames.take(size)
  #reads = 0
  #sweep?: NodeJS.Timeout

  constructor (options: BlockServerOptions) {
    this.#o = options
    this.#fs = options.fs ?? nodeFs
  }

  /**
   * Answers `req` for the folder rooted at `root`: a Response frame with the block, or with an
   * error code when the name is refused, not a current local file, unreadable, or changed.
   */
  async serve (req: BepRequest, root: string): Promise<Served> {
    if (nameProblem(req.name) !== undefined || !Number.isSafeInteger(req.offset) || req.offset < 0 || !Number.isInteger(req.size) || req.size < 0 || req.size > maxRequestBytes) {
      return answer(req.id, 'generic')
    }
    const key = `${req.folder}\0${req.name}`
    let file: OpenFile
    try {
      file = await this.#acquire(key, req.folder, req.name, root, req.size <= smallBlock)
    } catch {
      return answer(req.id, 'noSuchFile')
    }
    await this.#readSlot()
    try {
      const out = req.id >= 0 ? responseFrame(req.id, req.size, 'noError', this.#alloc) : undefined
      const buf = out?.frame ?? Buffer.allocUnsafe(req.size)
      const at = out?.dataOffset ?? 0
      let done = 0
      while (done < req.size) {
        const n = await readInto(this.#fs, file.fd, buf, at + done, req.size - done, req.offset + done)
        if (n === 0) break
        done += n
      }
      const block = buf.subarray(at, at + done)
      const release = out === undefined ? undefined : () => { this.#frames.release(out.frame) }
      if (req.hash.length === 32 && !isScannedBlock(this.#fs, file, req) && !createHash('sha256').update(block).digest().equals(req.hash)) {
        release?.()
        this.#drop(key)
        return { ...answer(req.id, 'invalidFile'), changed: true }
      }
      if (this.#o.corrupt === true && block.length > 0) block[0] = block[0]! ^ 1
      // A short read (the file shrank) or a negative ID: the generic encoder, with a copy.
      if (out === undefined || done !== req.size) {
        const frame = encodeFrame({ type: 'response', id: req.id, data: block, code: 'noError' })
        release?.()
        return { frame, code: 'noError' }
      }
      return { frame: out.frame, code: 'noError', release }
    } catch {
      this.#drop(key)
      return answer(req.id, 'noSuchFile')
    } finally {
      this.#release(file)
      this.#readDone()
    }
  }

  /** Closes the open files of `folder` (all folders when omitted), e.g. when it stops or is removed. */
  closeFiles (folder?: FolderId): void {
    for (const key of [...this.#files.keys()]) {
      if (folder === undefined || key.startsWith(`${folder}\0`)) this.#drop(key)
    }
  }

  /** Closes everything; the server can still be used afterwards (files are opened again). */
  stop (): void {
    clearInterval(this.#sweep)
    this.#sweep = undefined
    this.closeFiles()
    this.#dirs.clear()
  }

  async #acquire (key: string, folder: FolderId, name: string, root: string, small: boolean): Promise<OpenFile> {
    const cached = this.#files.get(key)
    if (cached !== undefined) {
      cached.users++
      cached.lastUsed = Date.now()
      return cached
    }
    let opening = this.#opening.get(key)
    if (opening === undefined) {
      opening = this.#open(key, folder, name, root, small).finally(() => this.#opening.delete(key))
      this.#opening.set(key, opening)
    }
    const file = await opening
    file.users++
    file.lastUsed = Date.now()
    return file
  }

  async #open (key: string, folder: FolderId, name: string, root: string, small: boolean): Promise<OpenFile> {
    const record = this.#o.servable(folder, name)
    if (record === undefined) throw new Error('not a current local file')
    const path = await resolveInFolder(this.#fs, root, name, { checked: this.#dirs })
    const fd = await openFd(this.#fs, path, small)
    let stamp: Stamp | undefined
    try {
      stamp = stampIfScanned(this.#fs, fd, record)
    } catch (err) {
      closeFd(this.#fs, fd)
      throw err
    }
    const file: OpenFile = { fd, stamp, lastUsed: Date.now(), users: 0, dropped: false }
    this.#files.set(key, file)
    this.#evict()
    this.#sweep ??= setInterval(() => { this.#closeIdle() }, this.#idleMs()).unref()
    return file
  }

  #idleMs (): number {
    return this.#o.idleCloseMs ?? 2000
  }

  #evict (): void {
    const max = this.#o.maxOpenFiles ?? 32
    if (this.#files.size <= max) return
    let oldest: [string, OpenFile] | undefined
    for (const entry of this.#files) if (oldest === undefined || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry
    if (oldest !== undefined) this.#drop(oldest[0])
  }

  #closeIdle (): void {
    const limit = Date.now() - this.#idleMs()
    for (const [key, file] of this.#files) if (file.lastUsed < limit && file.users === 0) this.#drop(key)
    if (this.#files.size === 0) {
      clearInterval(this.#sweep)
      this.#sweep = undefined
    }
  }

  #drop (key: string): void {
    const file = this.#files.get(key)
    if (file === undefined) return
    this.#files.delete(key)
    file.dropped = true
    if (file.users === 0) closeFd(this.#fs, file.fd)
  }

  #release (file: OpenFile): void {
    file.users--
    file.lastUsed = Date.now()
    if (file.dropped && file.users === 0) closeFd(this.#fs, file.fd)
  }

  async #readSlot (): Promise<void> {
    if (this.#reads < (this.#o.maxReads ?? 8)) {
      this.#reads++
      return
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  #readDone (): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next()
    else this.#reads--
  }
}

function stampIfScanned (fs: FolderFs, fd: number, record: ServableRecord): Stamp | undefined {
  const st = fs.fstatSync(fd)
  const scannedNs = BigInt(record.modifiedS) * 1_000_000_000n + BigInt(record.modifiedNs)
  if (st.size !== BigInt(record.size) || st.mtimeNs !== scannedNs) return undefined
  if (record.inode !== undefined && st.ino !== BigInt(record.inode)) return undefined
  return { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, blockSize: record.blockSize, blocks: record.blocks }
}

/**
 * True when the block just read is the scanned block the request asks for: the request names
 * the hash the index holds for that offset, and the file still is what it was at open, when
 * it matched its scan (write(2) updates the modification and change times before it copies
 * data, so an unchanged fstat after a read means the read saw the scanned bytes).
 */
function isScannedBlock (fs: FolderFs, file: OpenFile, req: BepRequest): boolean {
  const stamp = file.stamp
  if (stamp === undefined || stamp.blockSize <= 0) return false
  const block = stamp.blocks[Math.floor(req.offset / stamp.blockSize)]
  if (block === undefined || block.offset !== req.offset || block.size !== req.size || !Buffer.from(block.hash.buffer, block.hash.byteOffset, block.hash.byteLength).equals(req.hash)) return false
  const st = fs.fstatSync(file.fd)
  if (st.size === stamp.size && st.mtimeNs === stamp.mtimeNs && st.ctimeNs === stamp.ctimeNs) return true
  file.stamp = undefined
  return false
}

function answer (id: number, code: BepResponseCode): Served {
  return { frame: encodeFrame({ type: 'response', id, data: new Uint8Array(), code }), code }
}

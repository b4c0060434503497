/**
 * The sending side of the bare data path of `npm run bench:sync` (no weft code): scans the
 * folder (walks it and hashes every file's 128 KiB blocks with SHA-256, a few files at a time),
 * and sends each file as soon as it is hashed: a HEADER with its block hashes, then its blocks
 * read again from disk straight into pooled buffers that already hold the frame prefix (a
 * few files in flight, bytes in flight capped by the pool). Ends with END.
 */
import { createHash } from 'node:crypto'
import { open, opendir } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { BLOCK_PREFIX, BLOCK_SIZE, blockPrefix, endFrame, headerFrame } from './sync-bare-wire.js'

/** Files hashed at a time during the scan. */
const SCANNERS = 4
/** Files being sent at a time. */
const SENDERS = 4
/** Block buffers (so at most this many blocks in flight, 8 MiB). */
const POOL = 64

interface Scanned { name: string, size: number, hashes: Buffer }

/** Every regular file under `root`, as a relative `/`-separated name. */
async function * walk (root: string, prefix = ''): AsyncGenerator<string> {
  for await (const entry of await opendir(join(root, prefix))) {
    const name = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) yield * walk(root, name)
    else if (entry.isFile()) yield name
  }
}

/** Reads exactly `length` bytes at `position` into `buf` at `offset`. */
async function readFully (fh: FileHandle, buf: Buffer, offset: number, length: number, position: number): Promise<void> {
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done)
    if (bytesRead === 0) throw new Error('bare sender: file shrank while being read')
    done += bytesRead
  }
}

async function scanFile (root: string, name: string, buf: Buffer): Promise<Scanned> {
  const fh = await open(join(root, name), 'r')
  try {
    const { size } = await fh.stat()
    const count = Math.ceil(size / BLOCK_SIZE)
    const hashes = Buffer.allocUnsafe(32 * count)
    for (let i = 0; i < count; i++) {
      const n = Math.min(BLOCK_SIZE, size - i * BLOCK_SIZE)
      await readFully(fh, buf, 0, n, i * BLOCK_SIZE)
      createHash('sha256').update(buf.subarray(0, n)).digest().copy(hashes, 32 * i)
    }
    return { name, size, hashes }
  } finally {
    await fh.close()
  }
}

/** A fixed set of block buffers; `take` waits while all are in flight. */
class BufferPool {
  readonly #free: Buffer[]
  readonly #waiting: Array<(buf: Buffer) => void> = []
  constructor (count: number, bytes: number) { this.#free = Array.from({ length: count }, () => Buffer.allocUnsafe(bytes)) }
  async take (): Promise<Buffer> {
    const buf = this.#free.pop()
    if (buf !== undefined) return buf
    return await new Promise((resolve) => { this.#waiting.push(resolve) })
  }

  give (buf: Buffer): void {
    const next = this.#waiting.shift()
    if (next !== undefined) next(buf)
    else this.#free.push(buf)
  }
}

/**
 * Scans `root` and sends every file over `socket`; calls `onScanned` when the last file is
 * hashed; resolves with the number of files once END is handed to the socket.
 */
export async function sendFolder (socket: TLSSocket, root: string, onScanned: () => void): Promise<number> {
  let failure: Error | undefined
  const write = async (data: Buffer): Promise<void> => {
    await new Promise<void>((resolve, reject) => { socket.write(data, (err) => { if (err != null) reject(err); else resolve() }) })
  }

  // Scan: files go to `ready` as they are hashed.
  const ready: Scanned[] = []
  let scanning = true
  let wake: (() => void) | undefined
  const notify = (): void => { const w = wake; wake = undefined; w?.() }
  const names = walk(root)
  const scanner = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(BLOCK_SIZE)
    for (;;) {
      const next = await names.next()
      if (next.done === true) return
      ready.push(await scanFile(root, next.value, buf))
      notify()
    }
  }
  const scan = Promise.all(Array.from({ length: SCANNERS }, scanner)).finally(() => { scanning = false; notify() })
  scan.then(onScanned, () => {})

  // Send: each sender takes the next hashed file and sends its header and blocks.
  const pool = new BufferPool(POOL, BLOCK_PREFIX + BLOCK_SIZE)
  let nextId = 0
  const sender = async (): Promise<void> => {
    for (;;) {
      const file = ready.shift()
      if (file === undefined) {
        if (!scanning) return
        await new Promise<void>((resolve) => { const w = wake; wake = () => { w?.(); resolve() } })
        continue
      }
      const id = nextId++
      socket.write(headerFrame(id, file.name, file.size, file.hashes))
      const fh = await open(join(root, file.name), 'r')
      try {
        for (let i = 0; i < file.hashes.length / 32; i++) {
          if (failure !== undefined) throw failure
          const n = Math.min(BLOCK_SIZE, file.size - i * BLOCK_SIZE)
          const buf = await pool.take()
          await readFully(fh, buf, BLOCK_PREFIX, n, i * BLOCK_SIZE)
          blockPrefix(buf, id, i, n)
          socket.write(buf.subarray(0, BLOCK_PREFIX + n), (err) => {
            if (err != null) failure ??= err
            pool.give(buf)
          })
        }
      } finally {
        await fh.close()
      }
    }
  }
  await Promise.all([scan, ...Array.from({ length: SENDERS }, sender)])
  await write(endFrame(nextId))
  if (failure !== undefined) throw failure
  return nextId
}

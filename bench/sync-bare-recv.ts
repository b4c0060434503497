/**
 * The receiving side of the bare data path of `npm run bench:sync` (no weft code): parses the
 * frames of bench/sync-bare-wire.ts without copying blocks, checks each block's SHA-256
 * against its file's header, writes it with a positioned write into a temporary file in the
 * target directory, and when a file's last block is written: fsync, close, rename. The
 * socket is paused while too many bytes or files are pending on disk.
 */
import { createHash } from 'node:crypto'
import { mkdir, open, rename } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { BLOCK, BLOCK_SIZE, END, HEADER } from './sync-bare-wire.js'

const MAX_PENDING_BYTES = 32 * 2 ** 20
const MAX_PENDING_FILES = 64

interface Incoming {
  name: string
  size: number
  hashes: Buffer
  temp: string
  final: string
  handle: Promise<FileHandle>
  blocksLeft: number
  /** The file's disk work, in order (writes, then fsync, close, rename). */
  chain: Promise<void>
}

async function writeAll (fh: FileHandle, parts: Buffer[], position: number, bytes: number): Promise<void> {
  const { bytesWritten } = await fh.writev(parts, position)
  if (bytesWritten === bytes) return
  // A short write (rare on regular files): write the rest from one buffer.
  const rest = Buffer.concat(parts).subarray(bytesWritten)
  let done = 0
  while (done < rest.length) done += (await fh.write(rest, done, rest.length - done, position + bytesWritten + done)).bytesWritten
}

/** Receives files into `root` from `socket`; `onDone` once END came and every file is renamed. */
export function receiveFolder (socket: TLSSocket, root: string, onDone: (files: number) => void, onError: (err: Error) => void): void {
  const chunks: Buffer[] = []
  let buffered = 0
  const files = new Map<number, Incoming>()
  const dirs = new Map<string, Promise<unknown>>()
  let pendingBytes = 0
  let renamed = 0
  let total: number | undefined
  let paused = false
  let failed = false
  let done = false

  const fail = (err: unknown): void => {
    if (failed) return
    failed = true
    socket.destroy()
    onError(err instanceof Error ? err : new Error(String(err)))
  }
  const take = (n: number): Buffer[] => {
    const out: Buffer[] = []
    buffered -= n
    while (n > 0) {
      const c = chunks[0]!
      if (c.length <= n) { out.push(c); chunks.shift(); n -= c.length } else { out.push(c.subarray(0, n)); chunks[0] = c.subarray(n); n = 0 }
    }
    return out
  }
  const takeSmall = (n: number): Buffer => { const parts = take(n); return parts.length === 1 ? parts[0]! : Buffer.concat(parts) }
  const peekLength = (): number => chunks[0]!.length >= 4 ? chunks[0]!.readUInt32BE(0) : Buffer.concat(chunks).readUInt32BE(0)
  const check = (): void => {
    if (paused && pendingBytes < MAX_PENDING_BYTES / 2 && files.size < MAX_PENDING_FILES / 2) { paused = false; socket.resume() }
    if (!done && total !== undefined && renamed === total) { done = true; onDone(total) }
  }

  const header = (body: Buffer): void => {
    const id = body.readUInt32BE(0)
    const size = body.readDoubleBE(4)
    const count = body.readUInt32BE(12)
    const nameLength = body.readUInt16BE(16)
    const name = body.subarray(18, 18 + nameLength).toString('utf8')
    const hashes = Buffer.from(body.subarray(18 + nameLength))
    if (name === '' || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '.' || p === '') || name.includes('\0')) throw new Error(`bare receiver: bad file name ${JSON.stringify(name)}`)
    if (hashes.length !== 32 * count || count !== Math.ceil(size / BLOCK_SIZE) || files.has(id)) throw new Error(`bare receiver: bad header for ${name}`)
    const final = join(root, name)
    const dir = dirname(final)
    let made = dirs.get(dir)
    if (made === undefined) { made = mkdir(dir, { recursive: true }); dirs.set(dir, made) }
    const temp = join(dir, `.${basename(name)}.bare-tmp`)
    const handle = made.then(async () => await open(temp, 'w'))
    const file: Incoming = { name, size, hashes, temp, final, handle, blocksLeft: count, chain: handle.then(() => {}) }
    files.set(id, file)
    if (count === 0) finish(id, file)
  }

  const finish = (id: number, file: Incoming): void => {
    file.chain = file.chain.then(async () => {
      const fh = await file.handle
      await fh.sync()
      await fh.close()
      await rename(file.temp, file.final)
      files.delete(id)
      renamed++
      check()
    })
    file.chain.catch(fail)
  }

  const block = (meta: Buffer, data: Buffer[], bytes: number): void => {
    const id = meta.readUInt32BE(0)
    const index = meta.readUInt32BE(4)
    const file = files.get(id)
    if (file === undefined || index >= file.hashes.length / 32) throw new Error(`bare receiver: block ${index} of unknown file ${id}`)
    if (bytes !== Math.min(BLOCK_SIZE, file.size - index * BLOCK_SIZE)) throw new Error(`bare receiver: block ${index} of ${file.name} has the wrong size`)
    const hash = createHash('sha256')
    for (const part of data) hash.update(part)
    if (!hash.digest().equals(file.hashes.subarray(32 * index, 32 * index + 32))) throw new Error(`bare receiver: block ${index} of ${file.name} fails SHA-256`)
    pendingBytes += bytes
    file.chain = file.chain.then(async () => {
      await writeAll(await file.handle, data, index * BLOCK_SIZE, bytes)
      pendingBytes -= bytes
      check()
    })
    file.chain.catch(fail)
    if (--file.blocksLeft === 0) finish(id, file)
  }

  socket.on('data', (chunk: Buffer) => {
    if (failed) return
    chunks.push(chunk)
    buffered += chunk.length
    try {
      while (buffered >= 4) {
        const length = peekLength()
        if (length < 1) throw new Error('bare receiver: empty frame')
        if (buffered < 4 + length) break
        take(4)
        const type = takeSmall(1)[0]
        if (type === BLOCK) {
          if (length < 9) throw new Error('bare receiver: short block frame')
          block(takeSmall(8), take(length - 9), length - 9)
        } else if (type === HEADER) {
          if (length < 19) throw new Error('bare receiver: short header frame')
          header(takeSmall(length - 1))
        } else if (type === END && length === 5) {
          total = takeSmall(4).readUInt32BE(0)
          check()
        } else throw new Error(`bare receiver: unknown frame type ${type}`)
      }
      if (!paused && (pendingBytes > MAX_PENDING_BYTES || files.size > MAX_PENDING_FILES)) { paused = true; socket.pause() }
    } catch (err) {
      fail(err)
    }
  })
  socket.on('error', fail)
  socket.on('close', () => { if (!done) fail(new Error('bare receiver: the connection closed before every file arrived')) })
}

/**
 * Assembling a file's blocks into its temporary file. For each block, in this order: keep it
 * when the temporary file of an interrupted pull already holds it, copy it from the old
 * version of the same file, copy it from any other local file the LocalBlockFinder knows,
 * else request it from remote devices, one device per attempt, rotating the starting device
 * by block number to spread the load. Every block is verified (size and SHA-256) before it is
 * written, whatever its origin; a device that sends bad data is reported and the next one is
 * asked. A few blocks are fetched at once per file, within the global byte budget; the first
 * failure stops the file's other block fetches.
 */
import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { WeftError } from '../../../core/errors.js'
import type { BepDeviceId, BlockInfo, FileInfo } from '../types.js'
import { checkPullAborted, pullFsError } from '../fs/errors.js'
import { resolveInFolder } from '../fs/names.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs, FsFile } from '../fs/types.js'
import type { ByteBudget } from './budget.js'
import type { BlockRequest, LocalBlock, PullDeps, WriteAtFn } from './types.js'

/** Largest block BEP allows (16 MiB). */
export const maxBlockSize = 16 * 1024 * 1024

/** Everything block assembly needs for one file. */
export interface AssembleContext {
  folderRoot: string
  file: FileInfo
  /** The temporary file, open for reading and writing, already sized to the file. */
  temp: FsFile
  /** Whether the temporary file is left over from an interrupted pull (check its blocks). */
  resumed: boolean
  /** Absolute path and index record of the old version, to copy unchanged blocks from. */
  old?: { path: string, file: FileInfo }
  deps: PullDeps
  devices: BepDeviceId[]
  budget: ByteBudget
  signal: AbortSignal
  blocksInFlight: number
  /** Called with a block's size once it is in the temporary file. */
  onBytes: (bytes: number) => void
  /** Local places of this file's blocks, looked up once for the whole file (by hash, hex). */
  localPlaces?: Map<string, LocalBlock[]>
}

/** The default writer: positional writes until everything is written. */
export const defaultWriteAt: WriteAtFn = async (handle, data, position) => {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done)
    done += bytesWritten
  }
}

/** True when `data` is exactly the block (size and SHA-256). */
export function verifyBlock (data: Uint8Array, block: BlockInfo): boolean {
  if (data.length !== block.size) return false
  const digest = createHash('sha256').update(data).digest()
  return digest.equals(block.hash)
}

/** Checks that a file's blocks tile it exactly; throws `PROTOCOL_ERROR` otherwise. */
export function validateBlocks (file: FileInfo): void {
  const bad = (why: string): WeftError => new WeftError('PROTOCOL_ERROR', `bad block list for ${JSON.stringify(file.name)}: ${why}`)
  if (!Number.isSafeInteger(file.size) || file.size < 0) throw bad(`size ${file.size}`)
  let offset = 0
  for (const [i, b] of file.blocks.entries()) {
    if (b.offset !== offset) throw bad(`block ${i} at offset ${b.offset}, expected ${offset}`)
    if (!Number.isSafeInteger(b.size) || b.size < 0 || b.size > maxBlockSize || (b.size === 0 && file.size !== 0)) throw bad(`block ${i} of size ${b.size}`)
    if (b.hash.length !== 32) throw bad(`block ${i} hash of ${b.hash.length} bytes`)
    offset += b.size
  }
  if (offset !== file.size) throw bad(`blocks cover ${offset} bytes of ${file.size}`)
}

async function readAt (handle: FsFile, offset: number, size: number): Promise<Buffer> {
  const buf = Buffer.alloc(size)
  let done = 0
  while (done < size) {
    const { bytesRead } = await handle.read(buf, done, size - done, offset + done)
    if (bytesRead === 0) break
    done += bytesRead
  }
  return done === size ? buf : buf.subarray(0, done)
}

/** Reads `block.size` bytes at `offset` of a local file; the data when it verifies, else undefined. */
async function readLocal (fs: FolderFs, path: string, offset: number, block: BlockInfo): Promise<Buffer | undefined> {
  let handle: FsFile
  try {
    handle = await fs.openFile(path, 'read')
  } catch {
    return undefined
  }
  try {
    const data = await readAt(handle, offset, block.size)
    return verifyBlock(data, block) ? data : undefined
  } catch {
    return undefined
  } finally {
    await handle.close()
  }
}

function hashKey (hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex')
}

async function fromLocalFiles (ctx: AssembleContext, block: BlockInfo, oldOffsets: Map<string, number[]>): Promise<Buffer | undefined> {
  if (ctx.old !== undefined) {
    for (const offset of oldOffsets.get(hashKey(block.hash)) ?? []) {
      const data = await readLocal(ctx.deps.fs ?? nodeFs, ctx.old.path, offset, block)
      if (data !== undefined) return data
    }
  }
  const places = ctx.localPlaces !== undefined ? ctx.localPlaces.get(hashKey(block.hash)) ?? [] : ctx.deps.localBlocks?.find(block.hash) ?? []
  for (const place of places) {
    if (place.size !== block.size) continue
    let path: string
    try {
      path = await resolveInFolder(ctx.deps.fs ?? nodeFs, ctx.folderRoot, place.name)
    } catch {
      continue
    }
    const data = await readLocal(ctx.deps.fs ?? nodeFs, path, place.offset, block)
    if (data !== undefined) return data
  }
  return undefined
}

async function fromDevices (ctx: AssembleContext, block: BlockInfo, blockNo: number, signal: AbortSignal): Promise<Uint8Array> {
  const n = ctx.devices.length
  const bad: BepDeviceId[] = []
  let lastError: unknown
  for (let k = 0; k < n; k++) {
    const device = ctx.devices[(blockNo + k) % n]
    if (device === undefined) continue
    checkPullAborted(signal)
    const req: BlockRequest = { name: ctx.file.name, offset: block.offset, size: block.size, hash: block.hash, blockNo, devices: [device] }
    let data: Uint8Array
    try {
      data = await ctx.deps.source.request(req, { signal })
    } catch (err) {
      checkPullAborted(signal)
      lastError = err
      continue
    }
    if (verifyBlock(data, block)) return data
    bad.push(device)
    ctx.deps.source.reportBadBlock(device, req)
  }
  const where = `block ${blockNo} of ${JSON.stringify(ctx.file.name)}`
  if (bad.length > 0) {
    throw new WeftError('PROTOCOL_ERROR', `${where}: bad data from ${bad.join(', ')}, no other device has it`, { cause: lastError })
  }
  if (n === 0) throw new WeftError('PEER_UNREACHABLE', `${where}: not available locally and no device has it`)
  const reason = lastError instanceof Error ? `: ${lastError.message}` : ''
  throw new WeftError('PEER_UNREACHABLE', `${where}: no device could send it${reason}`, { cause: lastError })
}

async function placeBlock (ctx: AssembleContext, blockNo: number, oldOffsets: Map<string, number[]>, signal: AbortSignal): Promise<void> {
  const block = ctx.file.blocks[blockNo]
  if (block === undefined || block.size === 0) return
  const writeAt = ctx.deps.writeAt ?? defaultWriteAt
  await ctx.budget.acquire(block.size, signal)
  try {
    if (ctx.resumed) {
      const have = await readAt(ctx.temp, block.offset, block.size)
      if (verifyBlock(have, block)) {
        ctx.onBytes(block.size)
        return
      }
    }
    checkPullAborted(signal)
    const local = await fromLocalFiles(ctx, block, oldOffsets)
    const data = local ?? await fromDevices(ctx, block, blockNo, signal)
    checkPullAborted(signal)
    try {
      await writeAt(ctx.temp, data, block.offset)
    } catch (err) {
      throw pullFsError(err, 'writing', ctx.file.name)
    }
    // The received buffer is on disk now: its source may hand it out again.
    if (local === undefined) ctx.deps.source.release?.(data)
    ctx.onBytes(block.size)
  } finally {
    ctx.budget.release(block.size)
  }
}

/** Fills the temporary file with every block of `ctx.file`, verified; throws on the first failure. */
export async function assembleBlocks (ctx: AssembleContext): Promise<void> {
  const oldOffsets = new Map<string, number[]>()
  for (const b of ctx.old?.file.blocks ?? []) {
    const key = hashKey(b.hash)
    oldOffsets.set(key, [...(oldOffsets.get(key) ?? []), b.offset])
  }
  // One look-up of the block index for the whole file, when the finder can (else one per block).
  if (ctx.localPlaces === undefined && ctx.deps.localBlocks?.findMany !== undefined) {
    ctx.localPlaces = ctx.deps.localBlocks.findMany(ctx.file.blocks.filter((b) => b.size > 0).map((b) => b.hash))
  }
  // A file of one block (most small files) has no sibling fetches to stop: no controller of its own.
  if (ctx.file.blocks.length <= 1) {
    checkPullAborted(ctx.signal)
    if (ctx.file.blocks.length === 0) return
    try {
      await placeBlock(ctx, 0, oldOffsets, ctx.signal)
    } catch (err) {
      throw ctx.signal.aborted ? new WeftError('ABORTED', 'pull aborted', { cause: ctx.signal.reason }) : err
    }
    return
  }
  const stop = new AbortController()
  // Each block in flight listens on this signal while it waits for the byte budget and for its
  // request: two listeners per block in flight is expected, not a leak (Node warns at 11).
  setMaxListeners(2 * ctx.blocksInFlight + 4, stop.signal)
  const onAbort = (): void => stop.abort(ctx.signal.reason)
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  let next = 0
  let failure: { err: unknown } | undefined
  const worker = async (): Promise<void> => {
    while (failure === undefined) {
      const i = next++
      if (i >= ctx.file.blocks.length) return
      try {
        await placeBlock(ctx, i, oldOffsets, stop.signal)
      } catch (err) {
        if (failure === undefined) {
          failure = { err: ctx.signal.aborted ? new WeftError('ABORTED', 'pull aborted', { cause: ctx.signal.reason }) : err }
          stop.abort(err)
        }
        return
      }
    }
  }
  try {
    checkPullAborted(ctx.signal)
    const workers = Math.max(1, Math.min(ctx.blocksInFlight, ctx.file.blocks.length))
    await Promise.all(Array.from({ length: workers }, worker))
  } finally {
    ctx.signal.removeEventListener('abort', onAbort)
  }
  if (failure !== undefined) throw failure.err
}

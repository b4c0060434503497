/**
 * Test fixtures of the puller's tests (outside src/, so never shipped): FileInfo records built from
 * bytes, a fake BlockSource whose devices can send good or bad data and that counts requests,
 * a recording PullCommit, and temporary folders.
 */
import { createHash } from 'node:crypto'
import { lstat, mkdtemp, realpath, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BepDeviceId, BlockInfo, FileInfo } from '../../../src/features/sync/types.js'
import type { BlockRequest, BlockSource, LocalBlock, LocalBlockFinder, PullCommit, PullDeps, PullProgress } from '../../../src/features/sync/puller/types.js'

/** A small block size for tests (BEP receivers accept any power of two). */
export const testBlockSize = 1024

/** Block list of `data`. */
export function blocksOf (data: Uint8Array, blockSize = testBlockSize): BlockInfo[] {
  const blocks: BlockInfo[] = []
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const chunk = data.subarray(offset, offset + blockSize)
    blocks.push({ offset, size: chunk.length, hash: createHash('sha256').update(chunk).digest() })
  }
  return blocks
}

/** A FileInfo with defaults; a regular file's blocks come from `data`. */
export function fileInfo (name: string, fields: Partial<FileInfo> & { data?: Uint8Array } = {}): FileInfo {
  const { data, ...rest } = fields
  return {
    name,
    type: 'file',
    size: data?.length ?? 0,
    permissions: 0o640,
    modifiedS: 1_700_000_000,
    modifiedNs: 123_456_789,
    modifiedBy: 1n,
    deleted: false,
    invalid: false,
    noPermissions: false,
    version: [{ id: 1n, value: 1n }],
    sequence: 1,
    blockSize: testBlockSize,
    blocks: data === undefined ? [] : blocksOf(data),
    symlinkTarget: '',
    ...rest
  }
}

/** Writes `data` at `name` and returns the index record the scanner would make of it. */
export async function scanned (root: string, name: string, data: Uint8Array): Promise<FileInfo> {
  const path = join(root, name)
  await writeFile(path, data, { mode: 0o644 })
  const st = await lstat(path, { bigint: true })
  return fileInfo(name, {
    data,
    permissions: Number(st.mode & 0o777n),
    modifiedS: Number(st.mtimeNs / 1_000_000_000n),
    modifiedNs: Number(st.mtimeNs % 1_000_000_000n),
    inode: Number(st.ino)
  })
}

/** A device of the fake source: the file contents it serves by name, optionally corrupted. */
export interface FakeDevice {
  files: Map<string, Uint8Array>
  corrupt?: boolean
  fail?: boolean
}

/** A BlockSource over in-memory devices, counting requests and bad-block reports. */
export class FakeSource implements BlockSource {
  readonly requests: BlockRequest[] = []
  readonly badReports: BepDeviceId[] = []
  inFlight = 0
  maxInFlight = 0
  delayMs = 0

  constructor (readonly devices: Map<BepDeviceId, FakeDevice>) {}

  async request (req: BlockRequest, options: { signal: AbortSignal }): Promise<Uint8Array> {
    this.requests.push(req)
    this.inFlight += req.size
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs))
      options.signal.throwIfAborted()
      const device = this.devices.get(req.devices[0] ?? ('' as BepDeviceId))
      if (device === undefined || device.fail === true) throw new Error('device unreachable')
      const data = device.files.get(req.name)
      if (data === undefined) throw new Error('no such file')
      const block = Uint8Array.from(data.subarray(req.offset, req.offset + req.size))
      if (device.corrupt === true && block.length > 0) block[0] = (block[0] ?? 0) ^ 0xff
      return block
    } finally {
      this.inFlight -= req.size
    }
  }

  reportBadBlock (device: BepDeviceId): void {
    this.badReports.push(device)
  }
}

/** A device ID for tests. */
export function device (n: number): BepDeviceId {
  return n.toString(16).padStart(64, '0') as BepDeviceId
}

/** A source with one device serving these files. */
export function sourceWith (files: Record<string, Uint8Array>, n = 1): FakeSource {
  return new FakeSource(new Map([[device(n), { files: new Map(Object.entries(files)) }]]))
}

/** A PullCommit that records everything. */
export class RecordingCommit implements PullCommit {
  readonly committed: FileInfo[] = []
  readonly conflicts: Array<{ name: string, reason: string }> = []
  readonly progress: PullProgress[] = []
  commit (file: FileInfo): void { this.committed.push(file) }
  conflict (name: string, reason: string): void { this.conflicts.push({ name, reason }) }
  onProgress (p: PullProgress): void { this.progress.push(p) }
}

/** A LocalBlockFinder over a fixed list of local files. */
export function finderOf (files: FileInfo[]): LocalBlockFinder {
  return {
    find: (hash) => {
      const found: LocalBlock[] = []
      for (const f of files) {
        for (const b of f.blocks) if (Buffer.from(b.hash).equals(hash)) found.push({ name: f.name, offset: b.offset, size: b.size })
      }
      return found
    }
  }
}

/** Deps with a recording commit. */
export function depsWith (source: BlockSource, extra: Omit<Partial<PullDeps>, 'commit'> = {}): PullDeps & { commit: RecordingCommit } {
  return { ...extra, source, commit: new RecordingCommit() }
}

/** A fresh temporary directory (real path, so symlink checks see the real tree). */
export async function tempFolder (prefix: string): Promise<string> {
  return await realpath(await mkdtemp(join(tmpdir(), `weft-${prefix}-`)))
}

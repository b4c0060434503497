/**
 * The block server on real files: a scanned, unchanged file is served as it is; a file that
 * changed since its scan, or changes while it is open, answers `invalidFile` and asks for a
 * rescan; a request for a hash the index does not hold there, or for a name that is not a
 * current local file, gets no data.
 */
import { after, before, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BlockInfo, FolderId } from '../types.js'
import { BepDecoder } from '../wire/framing.js'
import type { BepRequest } from '../wire/messages.js'
import { BlockServer } from './block-server.js'
import type { ServableRecord, Served } from './block-server.js'

const FOLDER = 'f' as FolderId
const blockSize = 128 * 1024

function blocksOf (data: Buffer): BlockInfo[] {
  const blocks: BlockInfo[] = []
  for (let offset = 0; offset < data.length; offset += blockSize) {
    const part = data.subarray(offset, offset + blockSize)
    blocks.push({ offset, size: part.length, hash: createHash('sha256').update(part).digest() })
  }
  return blocks
}

/** Writes `data` as `name` and returns the record a scan would have made of it. */
async function scanned (root: string, name: string, data: Buffer): Promise<ServableRecord> {
  await writeFile(join(root, name), data)
  const st = await stat(join(root, name), { bigint: true })
  return { size: data.length, modifiedS: Number(st.mtimeNs / 1_000_000_000n), modifiedNs: Number(st.mtimeNs % 1_000_000_000n), inode: Number(st.ino), blockSize, blocks: blocksOf(data) }
}

function request (name: string, block: BlockInfo, id = 1): BepRequest {
  return { type: 'request', id, folder: FOLDER, name, offset: block.offset, size: block.size, hash: block.hash, fromTemporary: false, blockNo: block.offset / blockSize }
}

function decoded (served: Served): { code: string, data: Uint8Array } {
  const frames = new BepDecoder({ expectHello: false }).feed(served.frame)
  const frame = frames[0]
  assert.ok(frame?.kind === 'message' && frame.message.type === 'response')
  const out = { code: frame.message.code, data: Buffer.from(frame.message.data) }
  served.release?.()
  return out
}

describe('block server', () => {
  let root: string
  const records = new Map<string, ServableRecord>()
  let server: BlockServer

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'weft-serve-'))
    server = new BlockServer({ servable: (_folder, name) => records.get(name) })
  })
  after(async () => {
    server.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('serves every block of a file unchanged since its scan', async () => {
    const data = Buffer.alloc(3 * blockSize + 100)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff
    const record = await scanned(root, 'same.bin', data)
    records.set('same.bin', record)
    for (const [i, block] of record.blocks.entries()) {
      const served = await server.serve(request('same.bin', block, i + 1), root)
      assert.equal(served.changed, undefined)
      const { code, data: got } = decoded(served)
      assert.equal(code, 'noError')
      assert.deepEqual(got, data.subarray(block.offset, block.offset + block.size))
    }
  })

  it('answers invalidFile and asks for a rescan when the file changed after its scan', async () => {
    const record = await scanned(root, 'later.bin', Buffer.alloc(blockSize, 1))
    records.set('later.bin', record)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await writeFile(join(root, 'later.bin'), Buffer.alloc(blockSize, 2))
    const served = await server.serve(request('later.bin', record.blocks[0]!), root)
    assert.equal(served.changed, true)
    assert.equal(decoded(served).code, 'invalidFile')
  })

  it('notices a file that changes while it is open between two blocks', async () => {
    const data = Buffer.alloc(2 * blockSize, 3)
    const record = await scanned(root, 'open.bin', data)
    records.set('open.bin', record)
    const first = await server.serve(request('open.bin', record.blocks[0]!), root)
    assert.equal(decoded(first).code, 'noError')
    await new Promise((resolve) => setTimeout(resolve, 20))
    await writeFile(join(root, 'open.bin'), Buffer.alloc(2 * blockSize, 4))
    const second = await server.serve(request('open.bin', record.blocks[1]!, 2), root)
    assert.equal(second.changed, true)
    assert.equal(decoded(second).code, 'invalidFile')
  })

  it('checks the data when the request names a hash the index does not hold at that offset', async () => {
    const record = await scanned(root, 'other.bin', Buffer.alloc(blockSize, 5))
    records.set('other.bin', record)
    const wrong = { ...record.blocks[0]!, hash: createHash('sha256').update('something else').digest() }
    const served = await server.serve(request('other.bin', wrong), root)
    assert.equal(decoded(served).code, 'invalidFile')
  })

  it('gives no data for a name that is not a current local file, or a bad name', async () => {
    await writeFile(join(root, 'unknown.bin'), Buffer.alloc(10))
    const block = { offset: 0, size: 10, hash: createHash('sha256').update(Buffer.alloc(10)).digest() }
    assert.equal(decoded(await server.serve(request('unknown.bin', block), root)).code, 'noSuchFile')
    assert.equal(decoded(await server.serve(request('../escape', block), root)).code, 'generic')
  })
})

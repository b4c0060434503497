/**
 * FileHasher: block hashes equal a direct SHA-256 of each block, for block sizes smaller and
 * larger than the read size; empty files; buffer reuse across files; errors and aborts.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { WeftError } from '../../../core/errors.js'
import { FileHasher, hashBlocks, sha256OfNothing } from './hasher.js'
import { benchHash } from '../../../../test/support/sync/hash-bench.js'
import type { HashedFile } from './hasher.js'

const KiB = 1024

function sha256 (data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest()
}

function assertBlocksOf (data: Buffer, hashed: HashedFile): void {
  assert.equal(hashed.size, data.length)
  const expected = Math.max(1, Math.ceil(data.length / hashed.blockSize))
  assert.equal(hashed.blocks.length, expected)
  for (const [i, b] of hashed.blocks.entries()) {
    assert.equal(b.offset, i * hashed.blockSize)
    const slice = data.subarray(b.offset, b.offset + hashed.blockSize)
    assert.equal(b.size, slice.length)
    assert.deepEqual(Buffer.from(b.hash), sha256(slice), `block ${i}`)
  }
}

describe('FileHasher', () => {
  let dir = ''
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-hasher-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('hashes each 128 KiB block like a direct SHA-256', async () => {
    const data = randomBytes(3 * 128 * KiB + 12345)
    const path = join(dir, 'a.bin')
    await writeFile(path, data)
    const hashed = await new FileHasher().hashFile(path)
    assert.equal(hashed.blockSize, 128 * KiB)
    assertBlocksOf(data, hashed)
  })
  it('handles blocks spanning reads and reads spanning blocks, reusing its buffers', async () => {
    const hasher = new FileHasher({ chunkSize: 4096 })
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(1024, 4096, 8192, 32 * KiB), async (size, blockSize) => {
        const data = randomBytes(size)
        const path = join(dir, 'p.bin')
        await writeFile(path, data)
        const hashed = await hasher.hashFile(path, { blockSize })
        assertBlocksOf(data, hashed)
        assert.deepEqual(hashed.blocks, hashBlocks(data, blockSize))
      }), { numRuns: 40 })
  })
  it('gives an empty file one empty block', async () => {
    const path = join(dir, 'empty')
    await writeFile(path, '')
    const hashed = await new FileHasher().hashFile(path)
    assert.deepEqual(hashed.blocks, [{ offset: 0, size: 0, hash: sha256OfNothing }])
    assert.deepEqual(Buffer.from(sha256OfNothing), sha256(new Uint8Array()))
  })
  it('is correct for concurrent calls on one instance', async () => {
    const hasher = new FileHasher({ chunkSize: 4096 })
    const files = await Promise.all([1, 2, 3].map(async (i) => {
      const data = randomBytes(50_000 + i)
      await writeFile(join(dir, `c${i}`), data)
      return data
    }))
    const hashed = await Promise.all(files.map(async (_, i) => await hasher.hashFile(join(dir, `c${i + 1}`), { blockSize: 8192 })))
    for (const [i, h] of hashed.entries()) assertBlocksOf(files[i]!, h)
  })
  it('throws typed errors: missing file, directory, aborted', async () => {
    const hasher = new FileHasher()
    const isCode = (code: string) => (err: unknown) => err instanceof WeftError && err.code === code
    await assert.rejects(hasher.hashFile(join(dir, 'nope')), isCode('NOT_FOUND'))
    await assert.rejects(hasher.hashFile(dir), (err: unknown) => err instanceof WeftError && /not a regular file|EISDIR/.test(err.message))
    const path = join(dir, 'big.bin')
    await writeFile(path, randomBytes(4 * 1024 * KiB))
    const ac = new AbortController()
    ac.abort()
    await assert.rejects(hasher.hashFile(path, { signal: ac.signal }), isCode('ABORTED'))
    assertBlocksOf(await readFile(path), await hasher.hashFile(path))
  })

  it('hashes small files in place like hashFile, and declines larger ones', async () => {
    const hasher = new FileHasher({ chunkSize: 8192 })
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 20_000 }), fc.constantFrom(1024, 4096, 128 * KiB), async (size, blockSize) => {
      const data = randomBytes(size)
      const path = join(dir, 's.bin')
      await writeFile(path, data)
      const inPlace = hasher.hashSmallFileSync(path, 16_000, { blockSize })
      if (size > 8192) {
        assert.equal(inPlace, undefined, 'larger than the read size or the limit: not hashed')
        return
      }
      assert.ok(inPlace !== undefined)
      assertBlocksOf(data, inPlace)
      assert.deepEqual(inPlace, await hasher.hashFile(path, { blockSize }))
    }), { numRuns: 40 })
    const isCode = (code: string) => (err: unknown) => err instanceof WeftError && err.code === code
    assert.throws(() => hasher.hashSmallFileSync(join(dir, 'nope'), 100), isCode('NOT_FOUND'))
    assert.throws(() => hasher.hashSmallFileSync(dir, 100), (err: unknown) => err instanceof WeftError && /not a regular file|EISDIR/.test(err.message))
    const ac = new AbortController()
    ac.abort()
    assert.throws(() => hasher.hashSmallFileSync(join(dir, 's.bin'), 100, { signal: ac.signal }), isCode('ABORTED'))
  })

  it('benchmark function runs and cleans up (tiny sizes)', async () => {
    const r = await benchHash({ fileBytes: 2 * 1024 * KiB, rawBytes: 2 * 1024 * KiB, runs: 1, dir })
    assert.ok(r.rawMBps > 0 && r.hasherMBps > 0 && r.ratio > 0 && r.fileBytes === 2 * 1024 * KiB)
  })
})

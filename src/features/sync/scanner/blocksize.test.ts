/**
 * BEP block size rule: edges of each step, bounds, and power-of-two validation.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { blockSizeFor, blockSizes, isValidBlockSize, maxBlockSize, minBlockSize } from './blocksize.js'

const KiB = 1024
const MiB = 1024 * KiB

describe('blockSizeFor', () => {
  it('uses 128 KiB below 250 MiB and steps up at 2000 blocks', () => {
    assert.equal(blockSizeFor(0), 128 * KiB)
    assert.equal(blockSizeFor(1), 128 * KiB)
    assert.equal(blockSizeFor(250 * MiB - 1), 128 * KiB)
    assert.equal(blockSizeFor(250 * MiB), 256 * KiB, '2000 blocks of 128 KiB is not fewer than 2000')
    assert.equal(blockSizeFor(500 * MiB - 1), 256 * KiB)
    assert.equal(blockSizeFor(500 * MiB), 512 * KiB)
    assert.equal(blockSizeFor(2000 * 16 * MiB - 1), 16 * MiB)
    assert.equal(blockSizeFor(2000 * 16 * MiB), 16 * MiB, 'never above 16 MiB')
    assert.equal(blockSizeFor(Number.MAX_SAFE_INTEGER), 16 * MiB)
  })
  it('lists the powers of two from 128 KiB to 16 MiB', () => {
    assert.deepEqual(blockSizes, [128, 256, 512, 1024, 2048, 4096, 8192, 16384].map((k) => k * KiB))
  })
  it('picks the smallest size giving fewer than 2000 blocks (or the maximum)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 46 }), (size) => {
      const bs = blockSizeFor(size)
      assert.ok(bs >= minBlockSize && bs <= maxBlockSize && isValidBlockSize(bs))
      assert.ok(bs === maxBlockSize || size / bs < 2000)
      assert.ok(bs === minBlockSize || size / (bs / 2) >= 2000)
    }))
  })
  it('accepts any power of two from a peer', () => {
    assert.ok(isValidBlockSize(1) && isValidBlockSize(64 * KiB) && isValidBlockSize(2 ** 40))
    assert.ok(!isValidBlockSize(0) && !isValidBlockSize(3 * KiB) && !isValidBlockSize(-128) && !isValidBlockSize(1.5))
  })
})

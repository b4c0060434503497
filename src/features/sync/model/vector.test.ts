/**
 * Version vectors: Syncthing's compare/update/merge cases (lib/protocol/vector_test.go) and
 * algebraic properties checked with fast-check; short IDs from device IDs.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { base32Decode } from '../../../core/base32.js'
import type { BepDeviceId, Counter, Vector } from '../types.js'
import {
  compareVectors, compareVectorsDetailed, counterOf, formatVector, mergeVectors, normalizeVector, shortId, shortIdString,
  updateVector, vectorGreaterEqual
} from './vector.js'

const maxU64 = (1n << 64n) - 1n
const v = (...pairs: Array<[number | bigint, number | bigint]>): Vector => pairs.map(([id, value]) => ({ id: BigInt(id), value: BigInt(value) }))

/** Vectors over a small pool of IDs (so they overlap) plus the extremes of the ID range. */
const arbVector: fc.Arbitrary<Vector> = fc.array(
  fc.record({ id: fc.oneof(fc.constantFrom(1n, 2n, 3n, 42n, maxU64), fc.bigInt({ min: 0n, max: maxU64 })), value: fc.bigInt({ min: 0n, max: 5n }) }),
  { maxLength: 6 }
).map((cs: Counter[]) => normalizeVector(cs))
const arbId = fc.oneof(fc.constantFrom(1n, 2n, 3n, 42n, maxU64), fc.bigInt({ min: 0n, max: maxU64 }))

describe('vector compare', () => {
  it('matches Syncthing cases, including the direction of concurrency', () => {
    assert.equal(compareVectorsDetailed([], []), 'equal')
    assert.equal(compareVectorsDetailed(v([42, 1]), v([42, 0])), 'greater')
    assert.equal(compareVectorsDetailed(v([maxU64, maxU64]), v([maxU64, maxU64 - 1n])), 'greater')
    assert.equal(compareVectorsDetailed(v([22, 23], [42, 2], [77, 4]), v([22, 22], [42, 1], [77, 3])), 'greater')
    assert.equal(compareVectorsDetailed([], v([42, 1])), 'lesser')
    assert.equal(compareVectorsDetailed(v([42, 2]), v([43, 1])), 'concurrentGreater')
    assert.equal(compareVectorsDetailed(v([43, 1]), v([42, 2])), 'concurrentLesser')
    assert.equal(compareVectorsDetailed(v([22, 23], [42, 1]), v([22, 22], [42, 2])), 'concurrentGreater')
    assert.equal(compareVectorsDetailed(v([22, 21], [42, 2], [43, 1]), v([20, 1], [22, 22], [42, 1])), 'concurrentLesser')
    assert.equal(compareVectors(v([42, 2]), v([43, 1])), 'concurrent')
  })

  it('is reflexive and antisymmetric', () => {
    const flip = { equal: 'equal', greater: 'lesser', lesser: 'greater', concurrentGreater: 'concurrentLesser', concurrentLesser: 'concurrentGreater' } as const
    fc.assert(fc.property(arbVector, arbVector, (a, b) => {
      assert.equal(compareVectorsDetailed(a, a), 'equal')
      assert.equal(compareVectorsDetailed(b, a), flip[compareVectorsDetailed(a, b)])
    }), { numRuns: 500 })
  })

  it('says equal exactly for identical normalized vectors', () => {
    fc.assert(fc.property(arbVector, arbVector, (a, b) => {
      assert.equal(compareVectors(a, b) === 'equal', formatVector(a) === formatVector(b))
    }), { numRuns: 500 })
  })
})

describe('vector update', () => {
  it('follows Syncthing: max(current + 1, now), inserting in ID order', () => {
    let x = updateVector([], 42n, 5)
    assert.deepEqual(x, v([42, 5]))
    x = updateVector(x, 36n, 6)
    x = updateVector(x, 37n, 7)
    assert.deepEqual(x, v([36, 6], [37, 7], [42, 5]))
    x = updateVector(x, 37n, 1)
    assert.equal(counterOf(x, 37n), 8n)
    x = updateVector(x, 37n, 100)
    assert.equal(counterOf(x, 37n), 100n)
    x = updateVector(x, 37n, 50)
    assert.equal(counterOf(x, 37n), 101n)
    assert.deepEqual(updateVector([], 7n, 0), v([7, 1]))
  })

  it('always yields a strictly greater vector and leaves the input alone', () => {
    fc.assert(fc.property(arbVector, arbId, fc.integer({ min: 0, max: 2 ** 31 }), (a, id, now) => {
      const before = formatVector(a)
      const u = updateVector(a, id, now)
      assert.equal(compareVectors(u, a), 'greater')
      assert.equal(formatVector(a), before)
      assert.deepEqual(normalizeVector(u), u)
    }), { numRuns: 500 })
  })
})

describe('vector merge', () => {
  it('matches Syncthing cases', () => {
    assert.deepEqual(mergeVectors([], []), [])
    assert.deepEqual(mergeVectors(v([42, 1]), v([22, 1])), v([22, 1], [42, 1]))
    assert.deepEqual(mergeVectors(v([22, 1], [42, 2]), v([22, 2], [42, 1])), v([22, 2], [42, 2]))
    assert.deepEqual(
      mergeVectors(v([10, 1], [20, 2], [30, 1]), v([5, 1], [10, 2], [15, 1], [20, 1], [25, 1], [35, 1])),
      v([5, 1], [10, 2], [15, 1], [20, 2], [25, 1], [30, 1], [35, 1]))
  })

  it('is commutative, associative and idempotent, and dominates both inputs', () => {
    fc.assert(fc.property(arbVector, arbVector, arbVector, (a, b, c) => {
      assert.deepEqual(mergeVectors(a, b), mergeVectors(b, a))
      assert.deepEqual(mergeVectors(mergeVectors(a, b), c), mergeVectors(a, mergeVectors(b, c)))
      assert.deepEqual(mergeVectors(a, a), a)
      const m = mergeVectors(a, b)
      assert.ok(vectorGreaterEqual(m, a) && vectorGreaterEqual(m, b))
    }), { numRuns: 500 })
  })
})

describe('short IDs', () => {
  it('are the first 8 bytes big-endian, and print as the device ID does (Syncthing test vector)', () => {
    const formatted = 'P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2'
    const chars = formatted.replaceAll('-', '')
    const raw = [0, 1, 2, 3].map((g) => chars.slice(g * 14, g * 14 + 13)).join('')
    const bytes = base32Decode(raw)
    assert.ok(bytes !== undefined && bytes.length === 32)
    const hex = Buffer.from(bytes).toString('hex') as BepDeviceId
    const id = shortId(hex)
    assert.equal(id, shortId(bytes))
    assert.equal(id, Buffer.from(bytes.subarray(0, 8)).readBigUInt64BE(0))
    assert.equal(shortIdString(id), 'P56IOI7')
    assert.equal(shortIdString(0n), '')
  })

  it('refuse malformed device IDs', () => {
    assert.throws(() => shortId('abc' as BepDeviceId), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => shortId(new Uint8Array(31)), { code: 'INVALID_ARGUMENT' })
  })
})

/**
 * Name order shared by the walker and the index: code point order equals the byte order of
 * UTF-8 (SQLite BINARY), including characters above U+FFFF where UTF-16 order differs.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { compareNames, isUnder } from './order.js'

describe('compareNames', () => {
  it('agrees with the byte order of UTF-8', () => {
    const name = fc.string({ unit: fc.constantFrom('a', '/', '-', '.', '0', 'é', '\uE000', '\uFFFD', '😀', '𝄞'), maxLength: 6 })
    const anyName = fc.oneof(name, fc.string({ unit: 'binary', maxLength: 8 }))
    fc.assert(fc.property(anyName, anyName, (a, b) => {
      assert.equal(Math.sign(compareNames(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))))
    }), { numRuns: 2000 })
  })

  it('puts a character above U+FFFF after U+E000..U+FFFF, unlike UTF-16 order', () => {
    assert.ok('😀' < '\uE000')
    assert.ok(compareNames('😀', '\uE000') > 0)
    assert.ok(compareNames('a/b', 'a.txt') > 0 && compareNames('a/b', 'a0') < 0)
  })
})

describe('isUnder', () => {
  it('matches the path itself and what lies under it only', () => {
    assert.ok(isUnder('', 'x'))
    assert.ok(isUnder('a', 'a') && isUnder('a', 'a/b/c'))
    assert.ok(!isUnder('a', 'a-b') && !isUnder('a', 'ab') && !isUnder('a/b', 'a'))
  })
})

/**
 * Canonical JSON, the bytes membership signatures cover.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { canonicalJson } from './canonical.js'

describe('canonical JSON', () => {
  it('does not depend on key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }))
    assert.equal(canonicalJson({ b: 1, a: undefined }), '{"b":1}')
  })
})

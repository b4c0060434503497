/**
 * The in-place Response frame is byte for byte what the generic encoder makes of the same
 * Response, for any ID, data size and code, and decodes back to it.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { BepDecoder, encodeFrame } from './framing.js'
import type { BepResponseCode } from './messages.js'
import { responseFrame } from './response-frame.js'

const arbCode = fc.constantFrom<BepResponseCode>('noError', 'generic', 'noSuchFile', 'invalidFile')

describe('responseFrame', () => {
  it('equals encodeFrame of the same Response', () => {
    fc.assert(fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x7fffffff })), fc.uint8Array({ maxLength: 600 }), arbCode, (id, data, code) => {
      const { frame, dataOffset, dataLength } = responseFrame(id, data.length, code)
      assert.equal(dataLength, data.length)
      frame.set(data, dataOffset)
      assert.deepStrictEqual(new Uint8Array(frame), encodeFrame({ type: 'response', id, data, code }, { compression: 'metadata' }))
      const decoded = new BepDecoder({ expectHello: false }).feed(frame)
      assert.equal(decoded.length, 1)
      assert.deepStrictEqual(decoded[0]?.kind === 'message' ? decoded[0].message : undefined, { type: 'response', id, data, code })
    }), { numRuns: 300 })
  })

  it('handles a full 16 MiB block and multi-byte varints', () => {
    const size = 16 * 1024 * 1024
    const { frame, dataOffset } = responseFrame(300_000, size)
    frame.fill(0xab, dataOffset, dataOffset + size)
    const generic = encodeFrame({ type: 'response', id: 300_000, data: frame.subarray(dataOffset, dataOffset + size), code: 'noError' })
    assert.equal(Buffer.compare(frame, generic), 0)
  })

  it('refuses negative and non-integer IDs', () => {
    assert.throws(() => responseFrame(-1, 10), RangeError)
    assert.throws(() => responseFrame(1.5, 10), RangeError)
  })
})

/**
 * BufferPool: buffers given back are handed out again (same memory), small ones are not
 * pooled, foreign or doubly given-back buffers are ignored, the idle bound holds, and a
 * decoder drawing from the pool still decodes frames split over many reads.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { BufferPool, minPooledBytes } from './buffer-pool.js'
import { BepDecoder, encodeFrame } from './framing.js'

describe('BufferPool', () => {
  it('hands a given-back buffer out again', () => {
    const pool = new BufferPool()
    const a = pool.take(131_072 + 9)
    assert.equal(a.length, 131_081)
    pool.release(a.subarray(9))
    const b = pool.take(131_100)
    assert.equal(b.buffer, a.buffer)
    assert.equal(pool.idleBytes, 0)
  })

  it('does not pool small buffers, and ignores foreign and repeated give-backs', () => {
    const pool = new BufferPool()
    pool.release(pool.take(minPooledBytes - 1))
    pool.release(Buffer.alloc(minPooledBytes * 2))
    assert.equal(pool.idleBytes, 0)
    const a = pool.take(minPooledBytes)
    pool.release(a)
    pool.release(a)
    assert.equal(pool.idleBytes, minPooledBytes)
    const b = pool.take(minPooledBytes)
    const c = pool.take(minPooledBytes)
    assert.equal(b.buffer, a.buffer)
    assert.notEqual(c.buffer, a.buffer)
  })

  it('keeps at most its idle bound', () => {
    const pool = new BufferPool(3 * 128 * 1024)
    const taken = Array.from({ length: 5 }, () => pool.take(128 * 1024))
    for (const t of taken) pool.release(t)
    assert.equal(pool.idleBytes, 3 * 128 * 1024)
  })

  it('feeds a decoder that reassembles blocks split over many reads', () => {
    const pool = new BufferPool()
    const decoder = new BepDecoder({ expectHello: false, pool })
    const data = Buffer.alloc(200_000, 7)
    const frame = encodeFrame({ type: 'response', id: 5, data, code: 'noError' })
    const frames = []
    for (let at = 0; at < frame.length; at += 16_384) frames.push(...decoder.feed(frame.subarray(at, at + 16_384)))
    assert.equal(frames.length, 1)
    const message = frames[0]?.kind === 'message' ? frames[0].message : undefined
    assert.ok(message?.type === 'response')
    assert.deepEqual(Buffer.from(message.data), data)
    pool.release(message.data)
    assert.ok(pool.idleBytes > 0)
  })
})

/**
 * Reconnect backoff: doubles to a cap, resets on success or news.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { Backoff } from './backoff.js'
import type { DeviceId } from './ids.js'

describe('backoff', () => {
  it('doubles up to the cap and resets', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 8000, random: () => 0.5 })
    const d = 'D' as DeviceId
    assert.ok(b.due(d, 0))
    assert.deepEqual([1, 2, 3, 4, 5].map(() => b.failed(d, 0)), [1000, 2000, 4000, 8000, 8000])
    assert.ok(!b.due(d, 7999))
    assert.ok(b.due(d, 8000))
    b.reset(d)
    assert.ok(b.due(d, 0))
    assert.equal(b.failed(d, 0), 1000)
  })
})

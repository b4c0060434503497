/**
 * Self-certifying DHT records: round trip, and every way a forged or damaged record fails
 * validation (so a DHT node drops it and the selector never prefers it).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { decodeRecord, encodeRecord, maxPayloadBytes, recordKey, selectNewest } from './records.js'
import { keyFromSeed } from '../../identity/device-key.js'
import { BoundedMemoryDatastore } from './store.js'
import { Key } from 'interface-datastore'

describe('DHT records', () => {
  it('round-trips payload and sequence, under the key of the public key', () => {
    const seed = randomBytes(32)
    const { key, value } = encodeRecord(seed, 42n, Buffer.from('hello'))
    assert.deepEqual(key, recordKey(keyFromSeed(seed).publicKey))
    assert.match(Buffer.from(key).toString(), /^\/weft\/[0-9a-f]{64}$/)
    const record = decodeRecord(key, value)
    assert.equal(record.seq, 42n)
    assert.equal(Buffer.from(record.payload).toString(), 'hello')
  })

  it('rejects any flipped byte, a record under another key, and truncation', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (payload, where) => {
      const seed = randomBytes(32)
      const { key, value } = encodeRecord(seed, 1n, payload)
      const damaged = Buffer.from(value)
      const i = where % damaged.length
      damaged[i] = (damaged[i] ?? 0) ^ 0x01
      assert.throws(() => decodeRecord(key, damaged))
      assert.throws(() => decodeRecord(recordKey(randomBytes(32)), value))
      assert.throws(() => decodeRecord(key, value.subarray(0, value.length - 1)))
    }), { numRuns: 200 })
  })

  it('refuses oversized payloads at both ends', () => {
    assert.throws(() => encodeRecord(randomBytes(32), 1n, new Uint8Array(maxPayloadBytes + 1)), RangeError)
  })

  it('selects the newest valid record; a forged one never wins', () => {
    const seed = randomBytes(32)
    const old = encodeRecord(seed, 1n, Buffer.from('old'))
    const fresh = encodeRecord(seed, 2n, Buffer.from('new'))
    const forged = Buffer.from(encodeRecord(seed, 99n, Buffer.from('lie')).value)
    forged[forged.length - 1] = (forged[forged.length - 1] ?? 0) ^ 0xff
    assert.equal(selectNewest(old.key, [old.value, fresh.value]), 1)
    assert.equal(selectNewest(old.key, [forged, old.value]), 1)
    assert.equal(selectNewest(old.key, [fresh.value, forged, old.value]), 0)
  })

  it('the bounded datastore keeps at most its capacity, evicting the oldest', () => {
    const store = new BoundedMemoryDatastore(3)
    for (let i = 0; i < 10; i++) void store.put(new Key(`/k/${i}`), Buffer.from([i]))
    const keys = [...(store as unknown as { data: Map<string, Uint8Array> }).data.keys()]
    assert.deepEqual(keys, ['/k/7', '/k/8', '/k/9'])
  })
})

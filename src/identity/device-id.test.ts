/**
 * Device ID text form: round trips, typo detection, lenient parsing of what people paste.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { deviceIdFromPublicKey, luhn32, parseDeviceId } from './device-id.js'
import { generateDeviceKey, verifyByDevice } from './device-key.js'
import { base32Alphabet } from '../core/base32.js'

describe('device IDs', () => {
  it('are 8 groups of 7 and round-trip to the key', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
      const id = deviceIdFromPublicKey(key)
      assert.match(id, /^([A-Z2-7]{7}-){7}[A-Z2-7]{7}$/)
      assert.deepEqual(parseDeviceId(id).publicKey, key)
    }))
  })

  it('catch every single-character substitution', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(55), fc.nat(31), (key, pos, delta) => {
      const compact = deviceIdFromPublicKey(key).replace(/-/g, '')
      const original = compact[pos]!
      const replacement = base32Alphabet[(base32Alphabet.indexOf(original) + 1 + (delta % 31)) % 32]!
      const typo = compact.slice(0, pos) + replacement + compact.slice(pos + 1)
      assert.throws(() => parseDeviceId(typo), /invalid device ID/)
    }), { numRuns: 300 })
  })

  it('accept lowercase, missing dashes and digits confused with letters', () => {
    const { deviceId } = generateDeviceKey()
    assert.equal(parseDeviceId(deviceId.toLowerCase()).deviceId, deviceId)
    assert.equal(parseDeviceId(deviceId.replace(/-/g, '')).deviceId, deviceId)
    assert.equal(parseDeviceId(` ${deviceId.replace(/O/g, '0').replace(/I/g, '1')} `).deviceId, deviceId)
  })

  it('reject wrong lengths and characters with a reason', () => {
    assert.throws(() => parseDeviceId('ABC'), /expected 56 characters/)
    assert.throws(() => parseDeviceId('!'.repeat(56)), /outside base32/)
  })

  it('luhn32 matches a known vector', () => {
    // Syncthing's own test vector for its Luhn mod 32 (lib/protocol/luhn_test.go): "AB725E4GHIQPL3ZFGT" → "G".
    assert.equal(luhn32('AB725E4GHIQPL3ZFGT'), 'G')
  })

  it('signatures verify only for the signing device', () => {
    const a = generateDeviceKey()
    const b = generateDeviceKey()
    const data = new TextEncoder().encode('hello')
    const sig = a.sign(data)
    assert.ok(verifyByDevice(a.deviceId, data, sig))
    assert.ok(!verifyByDevice(b.deviceId, data, sig))
    assert.ok(!verifyByDevice(a.deviceId, new TextEncoder().encode('hellO'), sig))
    assert.ok(!verifyByDevice('garbage', data, sig))
  })
})

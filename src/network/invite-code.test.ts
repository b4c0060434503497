/**
 * Invite codes: round trip, and every kind of damage gets INVITE_INVALID with a reason.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { generateDeviceKey } from '../identity/device-key.js'
import type { NetworkId } from '../core/ids.js'
import { WeftError } from '../core/errors.js'
import { addressToBytes } from '../net/addresses.js'
import { decodeInvite, encodeInvite } from './invite-code.js'

const sample = {
  networkId: randomBytes(16).toString('hex') as NetworkId,
  inviter: generateDeviceKey().deviceId,
  token: new Uint8Array(randomBytes(16)),
  expiresAt: 1_900_000_000,
  addresses: ['/ip4/192.168.1.20/tcp/7558', '/ip6/::1/tcp/7558', '/ip4/127.0.0.1/tcp/7559/ws'].map(addressToBytes)
}

describe('invite codes', () => {
  it('round-trip and stay short', () => {
    const code = encodeInvite(sample)
    assert.ok(code.length < 220, `code is ${code.length} characters`)
    assert.match(code, /^weft1[a-z2-7]+$/)
    assert.deepEqual(decodeInvite(code), sample)
    assert.deepEqual(decodeInvite(`  ${code.toUpperCase().replace('WEFT1', 'weft1')}\n`), sample)
  })

  it('any truncation or single-character change is refused, never a crash', () => {
    const code = encodeInvite(sample)
    fc.assert(fc.property(fc.nat(code.length - 1), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz234567!'.split('')), fc.boolean(), (pos, ch, truncate) => {
      const damaged = truncate ? code.slice(0, pos) : code.slice(0, pos) + ch + code.slice(pos + 1)
      if (damaged === code) return
      try {
        decodeInvite(damaged)
        assert.fail(`accepted a damaged code (${truncate ? 'truncated' : 'changed'} at ${pos})`)
      } catch (err) {
        assert.ok(err instanceof WeftError)
        assert.equal(err.code, 'INVITE_INVALID')
      }
    }), { numRuns: 500 })
  })

  it('random garbage is refused', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (text) => {
      assert.throws(() => decodeInvite(text), (err: unknown) => err instanceof WeftError && err.code === 'INVITE_INVALID')
    }))
  })
})

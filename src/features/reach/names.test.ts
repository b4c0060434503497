/**
 * Stable member addresses and transfer codes.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { DeviceId } from '../../core/ids.js'
import { assignStableAddresses } from './stable-address.js'
import { parseCode } from './transfer.js'

describe('stable addresses', () => {
  it('are loopback addresses in 127.64.0.0/10, distinct, and the same for the same inputs in any order', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 }), (ids) => {
      const devices = ids as DeviceId[]
      const a = assignStableAddresses('SELF' as DeviceId, devices)
      const b = assignStableAddresses('SELF' as DeviceId, [...devices].reverse())
      assert.deepEqual([...a].sort(), [...b].sort())
      const addresses = [...a.values()]
      assert.equal(new Set(addresses).size, addresses.length)
      for (const address of addresses) {
        const [x, y, , w] = address.split('.').map(Number)
        assert.equal(x, 127)
        assert.ok(y !== undefined && y >= 64 && y < 128)
        assert.ok(w !== undefined && w >= 1 && w <= 254)
      }
    }))
  })
  it('differ between two devices looking at the same member', () => {
    const member = 'MEMBER' as DeviceId
    assert.notEqual(assignStableAddresses('A' as DeviceId, [member]).get(member), assignStableAddresses('B' as DeviceId, [member]).get(member))
  })
})

describe('transfer codes', () => {
  it('parse NAMEPLATE-WORD-WORD, any case', () => {
    assert.deepEqual(parseCode('417-Otter-velvet'), { nameplate: 417, password: 'otter-velvet' })
  })
  it('refuse anything else with a clear error', () => {
    for (const bad of ['', '417', '417-otter', 'x-otter-velvet', '417-otter-notaword', '417-otter-velvet-extra', '12345-otter-velvet']) {
      assert.throws(() => parseCode(bad), /not a transfer code/)
    }
  })
})

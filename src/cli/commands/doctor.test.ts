/**
 * `weft doctor`'s human report names relays (its list and the VIA column) as other commands
 * name devices: the name and short ID of a member, the short ID alone otherwise; never the
 * full device ID (that stays in --json).
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { generateDeviceKey } from '../../identity/device-key.js'
import { memberRow, relayLine } from './doctor.js'

describe('weft doctor (human output)', () => {
  const relay = generateDeviceKey().deviceId
  const member = generateDeviceKey().deviceId
  const short = relay.slice(0, 7)

  it('lists a relay by name and short ID, or short ID alone', () => {
    const named = relayLine({ deviceId: relay, name: 'attic', source: 'member', state: 'reserved' })
    assert.equal(named, `  attic (${short}) (member)  reserved`)
    const unnamed = relayLine({ deviceId: relay, name: null, source: 'config', state: 'refused', reason: 'no reservation' })
    assert.equal(unnamed, `  ${short} (config)  refused: no reservation`)
    assert.ok(!named.includes(relay) && !unnamed.includes(relay))
  })

  it('names the relay a member is reached through', () => {
    const row = memberRow({ deviceId: member, name: 'laptop', path: 'relay', rttMs: 12, relay, relayName: 'attic' })
    assert.deepEqual(row, ['laptop', member.slice(0, 7), 'relay', '12 ms', `attic (${short})`, ''])
    assert.equal(memberRow({ deviceId: member, name: 'laptop', path: 'relay', rttMs: null, relay, relayName: null })[4], short)
    assert.ok(!row.join(' ').includes(relay))
  })
})

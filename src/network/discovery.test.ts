/**
 * DHT discovery records: only members can compute a device's key or read its addresses, keys
 * change every epoch, and a record cannot be altered, moved to another device or network, or
 * replayed long after.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { generateDeviceKey } from '../identity/device-key.js'
import type { NetworkId } from '../core/ids.js'
import { epochMs, epochOf, openAddresses, recordSeed, sealAddresses } from './discovery.js'

const secret = randomBytes(32).toString('hex')
const net = 'a1b2c3' as NetworkId
const device = generateDeviceKey()
const now = Date.now()
const epoch = epochOf(now)
const addresses = ['/ip4/11.0.0.10/tcp/4001/p2p/12D3KooWExample/p2p-circuit', '/ip4/10.0.1.2/tcp/4001']

describe('DHT discovery records', () => {
  it('members open what a member sealed', () => {
    const sealed = sealAddresses(secret, net, epoch, device.deviceId, device.sign, addresses, now)
    assert.deepEqual(openAddresses(secret, net, epoch, device.deviceId, sealed, now), addresses)
  })

  it('seeds differ per epoch, device, network and secret (nothing links announcements)', () => {
    const seeds = [
      recordSeed(secret, net, device.deviceId, epoch),
      recordSeed(secret, net, device.deviceId, epoch + 1),
      recordSeed(secret, 'ffff' as NetworkId, device.deviceId, epoch),
      recordSeed(secret, net, generateDeviceKey().deviceId, epoch),
      recordSeed(randomBytes(32).toString('hex'), net, device.deviceId, epoch)
    ].map((s) => Buffer.from(s).toString('hex'))
    assert.equal(new Set(seeds).size, seeds.length)
  })

  it('a wrong secret, epoch, device or network, a flipped bit or an old record yields nothing', () => {
    const sealed = sealAddresses(secret, net, epoch, device.deviceId, device.sign, addresses, now)
    assert.equal(openAddresses(randomBytes(32).toString('hex'), net, epoch, device.deviceId, sealed, now), undefined)
    assert.equal(openAddresses(secret, net, epoch + 1, device.deviceId, sealed, now), undefined)
    assert.equal(openAddresses(secret, net, epoch, generateDeviceKey().deviceId, sealed, now), undefined)
    assert.equal(openAddresses(secret, 'ffff' as NetworkId, epoch, device.deviceId, sealed, now), undefined)
    const flipped = Buffer.from(sealed)
    flipped[20] = (flipped[20] ?? 0) ^ 1
    assert.equal(openAddresses(secret, net, epoch, device.deviceId, flipped, now), undefined)
    assert.equal(openAddresses(secret, net, epoch, device.deviceId, sealed, now + 3 * epochMs), undefined)
    assert.equal(openAddresses(secret, net, epoch, device.deviceId, new Uint8Array(5), now), undefined)
  })

  it('another member cannot publish addresses in a device\'s name', () => {
    const impostor = generateDeviceKey()
    // Sealed with the right secret but signed by someone else.
    const sealed = sealAddresses(secret, net, epoch, device.deviceId, impostor.sign, ['/ip4/6.6.6.6/tcp/1'], now)
    assert.equal(openAddresses(secret, net, epoch, device.deviceId, sealed, now), undefined)
  })
})

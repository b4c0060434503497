/**
 * mayChangeNeed: a peer's record that is no newer than ours never creates a need (property,
 * against the model's own global selection and need rules), and anything else is looked at.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { BepDeviceId, FileInfo, Vector } from '../types.js'
import { need, selectGlobal, type DeviceRecord } from './global.js'
import { mayChangeNeed } from './news.js'
import { shortId } from './vector.js'

const dev = (n: number): BepDeviceId => n.toString(16).padStart(2, '0').repeat(32) as BepDeviceId
const devices = [dev(0xa1), dev(0xb2), dev(0xc3)]
const LOCAL = devices[0]!
const REMOTE = devices[1]!

function vector (values: number[]): Vector {
  return values.map((value, i) => ({ id: shortId(devices[i]!), value: BigInt(value) }))
    .filter((c) => c.value > 0n).sort((x, y) => (x.id < y.id ? -1 : 1))
}

function file (version: Vector, over: Partial<FileInfo> = {}): FileInfo {
  return {
    name: 'a.txt', type: 'file', size: 3, permissions: 0o644, modifiedS: 1000, modifiedNs: 0, modifiedBy: shortId(LOCAL),
    deleted: false, invalid: false, noPermissions: false, version, sequence: 1, blockSize: 131072,
    blocks: [{ offset: 0, size: 3, hash: new Uint8Array(32).fill(1) }], symlinkTarget: '', ...over
  }
}

describe('mayChangeNeed', () => {
  it('is false for an equal or older version, true for a newer or concurrent one', () => {
    const local: DeviceRecord = { device: LOCAL, file: file(vector([2, 1])) }
    assert.equal(mayChangeNeed(local, file(vector([2, 1]))), false)
    assert.equal(mayChangeNeed(local, file(vector([1, 1]))), false)
    assert.equal(mayChangeNeed(local, file(vector([2, 2]))), true)
    assert.equal(mayChangeNeed(local, file(vector([1, 2]))), true)
  })

  it('is true without a plain local record', () => {
    const remote = file(vector([1]))
    assert.equal(mayChangeNeed(undefined, remote), true)
    assert.equal(mayChangeNeed({ device: LOCAL, file: file(vector([1]), { invalid: true }) }, remote), true)
    assert.equal(mayChangeNeed({ device: LOCAL, file: file(vector([1])), locallyChanged: true }, remote), true)
  })

  it('never hides a need: a record it skips leaves nothing to pull (property)', () => {
    const counters = fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 })
    fc.assert(fc.property(counters, counters, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 3000 }), (l, r, deleted, remoteInvalid, mtime) => {
      const local: DeviceRecord = { device: LOCAL, file: file(vector(l)) }
      const remote = file(vector(r), { deleted, invalid: remoteInvalid, modifiedS: mtime, size: deleted ? 0 : 5, blocks: deleted ? [] : [{ offset: 0, size: 5, hash: new Uint8Array(32).fill(2) }] })
      if (mayChangeNeed(local, remote)) return
      const global = selectGlobal([local, { device: REMOTE, file: remote }])?.global
      assert.equal(need(local, global, 'sendreceive').kind, 'none')
    }), { numRuns: 2000 })
  })
})

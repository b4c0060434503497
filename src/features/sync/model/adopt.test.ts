/**
 * adoptableGlobal: a scanned entry with the global record's content (type, size, blocks,
 * permissions, link target) takes the global record; any difference, or a global that is a
 * deletion, invalid or a receive-only local change, does not.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import type { BepDeviceId, FileInfo } from '../types.js'
import { adoptableGlobal } from './adopt.js'

const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const global: FileInfo = {
  name: 'a.bin', type: 'file', size: 10, permissions: 0o644, modifiedS: 5, modifiedNs: 0, modifiedBy: 7n,
  deleted: false, invalid: false, noPermissions: false, version: [{ id: 7n, value: 3n }], sequence: 4, blockSize: 131072,
  blocks: [{ offset: 0, size: 10, hash: hash(1) }], symlinkTarget: ''
}
const record = { device: 'b'.repeat(64) as BepDeviceId, file: global }
const scanned = { name: 'a.bin', type: 'file' as const, size: 10, permissions: 0o644, noPermissions: false, blocks: [{ offset: 0, size: 10, hash: hash(1) }], symlinkTarget: '', deleted: false, modifiedS: 5, modifiedNs: 0 }

describe('adoptableGlobal', () => {
  it('takes the global record when the content is the same', () => {
    assert.equal(adoptableGlobal(scanned, record), global)
    assert.equal(adoptableGlobal({ ...scanned, permissions: 0o600, noPermissions: true }, record), global)
  })

  it('refuses any difference in content, type, permissions or name', () => {
    assert.equal(adoptableGlobal({ ...scanned, blocks: [{ offset: 0, size: 10, hash: hash(2) }] }, record), undefined)
    assert.equal(adoptableGlobal({ ...scanned, size: 11 }, record), undefined)
    assert.equal(adoptableGlobal({ ...scanned, modifiedNs: 1 }, record), undefined)
    assert.equal(adoptableGlobal({ ...scanned, permissions: 0o600 }, record), undefined)
    assert.equal(adoptableGlobal({ ...scanned, type: 'directory' }, record), undefined)
    assert.equal(adoptableGlobal({ ...scanned, name: 'b.bin' }, record), undefined)
  })

  it('refuses a global that is deleted, invalid, a local change, or missing', () => {
    assert.equal(adoptableGlobal(scanned, { ...record, file: { ...global, deleted: true } }), undefined)
    assert.equal(adoptableGlobal(scanned, { ...record, file: { ...global, invalid: true } }), undefined)
    assert.equal(adoptableGlobal(scanned, { ...record, locallyChanged: true }), undefined)
    assert.equal(adoptableGlobal(scanned, undefined), undefined)
  })

  it('compares link targets of symlinks', () => {
    const link = { ...record, file: { ...global, type: 'symlink' as const, size: 0, blocks: [], symlinkTarget: 'x' } }
    assert.ok(adoptableGlobal({ ...scanned, type: 'symlink', size: 0, blocks: [], symlinkTarget: 'x' }, link) !== undefined)
    assert.equal(adoptableGlobal({ ...scanned, type: 'symlink', size: 0, blocks: [], symlinkTarget: 'y' }, link), undefined)
  })
})

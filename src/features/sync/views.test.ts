/**
 * A file record's view names the devices behind its short IDs (the last modifier and each
 * version counter) where the daemon knows them, and gives every short ID in the text form the
 * CLI prints (the first 7 characters of the device ID), keeping the exact 16 hex digits.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { generateDeviceKey } from '../../identity/device-key.js'
import { bepIdOf } from './service.js'
import { shortId } from './model/vector.js'
import type { FileInfo } from './types.js'
import { fileRecordView } from './views.js'

describe('file record view', () => {
  const known = generateDeviceKey().deviceId
  const stranger = generateDeviceKey().deviceId
  const [k, s] = [shortId(bepIdOf(known)), shortId(bepIdOf(stranger))]
  const record: FileInfo = {
    name: 'a.txt', type: 'file', size: 3, permissions: 0o644, modifiedS: 1000, modifiedNs: 0, modifiedBy: k,
    deleted: false, invalid: false, noPermissions: false, version: [{ id: k, value: 5n }, { id: s, value: 7n }],
    sequence: 1, blockSize: 131072, blocks: [], symlinkTarget: ''
  }

  it('names known devices and gives every one its short form', () => {
    const view = fileRecordView(record, (id) => id === k ? { deviceId: known, name: 'alice' } : undefined)
    assert.equal(view.modifiedBy, k.toString(16).padStart(16, '0'))
    assert.deepEqual(view.modifier, { short: known.slice(0, 7), deviceId: known, name: 'alice' })
    assert.deepEqual(view.version.map((c) => c.device), [
      { short: known.slice(0, 7), deviceId: known, name: 'alice' },
      { short: stranger.slice(0, 7), deviceId: null, name: null }
    ])
    assert.deepEqual(view.version.map((c) => c.value), ['5', '7'])
  })

  it('has no short form for an unknown modifier (0)', () => {
    assert.deepEqual(fileRecordView({ ...record, modifiedBy: 0n }).modifier, { short: '', deviceId: null, name: null })
  })
})

/**
 * Global version selection, need by folder type, conflict resolution and conflict-copy names.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { BepDeviceId, FileInfo, Vector } from '../types.js'
import {
  announcedFile, compareRecords, conflictName, isConflictCopyOf, isConflictName, need, overriddenRecord, resolveConflict,
  revertedRecord, selectGlobal, type DeviceRecord
} from './global.js'
import { shortId } from './vector.js'

const dev = (n: number): BepDeviceId => n.toString(16).padStart(2, '0').repeat(32) as BepDeviceId
const A = dev(0xa1)
const B = dev(0xb2)
const C = dev(0xc3)
const v = (...pairs: Array<[BepDeviceId, number]>): Vector =>
  pairs.map(([d, value]) => ({ id: shortId(d), value: BigInt(value) })).sort((x, y) => (x.id < y.id ? -1 : 1))

function file (over: Partial<FileInfo> = {}): FileInfo {
  return {
    name: 'docs/a.txt', type: 'file', size: 3, permissions: 0o644, modifiedS: 1000, modifiedNs: 0, modifiedBy: shortId(A),
    deleted: false, invalid: false, noPermissions: false, version: v([A, 1]), sequence: 1, blockSize: 131072,
    blocks: [{ offset: 0, size: 3, hash: new Uint8Array(32).fill(1) }], symlinkTarget: '', ...over
  }
}
const rec = (device: BepDeviceId, over: Partial<FileInfo> = {}, locallyChanged?: boolean): DeviceRecord =>
  locallyChanged === true ? { device, file: file(over), locallyChanged } : { device, file: file(over) }

describe('global selection', () => {
  it('picks the newest vector', () => {
    const old = rec(A, { version: v([A, 1]) })
    const newer = rec(B, { version: v([A, 1], [B, 1]), modifiedS: 1 })
    assert.equal(selectGlobal([old, newer])?.global, newer)
  })

  it('resolves concurrent vectors: valid over invalid, newer mtime, then "concurrent greater"', () => {
    const a = rec(A, { version: v([A, 2]), modifiedS: 2000 })
    const b = rec(B, { version: v([B, 1]), modifiedS: 1000 })
    assert.equal(selectGlobal([b, a])?.global, a)
    const bNs = rec(B, { version: v([B, 1]), modifiedS: 2000, modifiedNs: 1 })
    assert.equal(selectGlobal([a, bNs])?.global, bNs)
    const bTie = rec(B, { version: v([B, 1]), modifiedS: 2000 })
    // {A:2} vs {B:1}: A's short ID is lower, so A's vector is "concurrent greater" and wins.
    assert.equal(selectGlobal([bTie, a])?.global, a)
    const bInvalid = rec(B, { version: v([B, 1]), modifiedS: 9999, invalid: true })
    assert.equal(selectGlobal([bInvalid, a])?.global, a)
  })

  it('lets a delete win by the 2.0 rules, or lose by the 1.x rule when asked', () => {
    const del = rec(A, { version: v([A, 2]), deleted: true, size: 0, blocks: [], modifiedS: 3000 })
    const mod = rec(B, { version: v([B, 1]), modifiedS: 1000 })
    assert.equal(selectGlobal([mod, del])?.global, del)
    assert.equal(selectGlobal([mod, del], { deleteLosesConflicts: true })?.global, mod)
  })

  it('skips an invalid newest record, and falls back to the best one when all are invalid', () => {
    const valid = rec(A, { version: v([A, 1]) })
    const invalidNewer = rec(B, { version: v([A, 1], [B, 1]), invalid: true })
    const s = selectGlobal([valid, invalidNewer])
    assert.equal(s?.global, valid)
    assert.equal(s?.ordered[0], invalidNewer)
    assert.equal(selectGlobal([invalidNewer])?.global, invalidNewer)
    assert.equal(selectGlobal([]), undefined)
  })

  it('does not depend on the order records arrive in', () => {
    const devices = [A, B, C, dev(0x01), dev(0xfe)]
    const arbRecord = (device: BepDeviceId): fc.Arbitrary<DeviceRecord> => fc.record({
      counters: fc.array(fc.tuple(fc.constantFrom(...devices), fc.integer({ min: 1, max: 3 })), { maxLength: 3 }),
      modifiedS: fc.integer({ min: 0, max: 2 }),
      invalid: fc.boolean(),
      deleted: fc.boolean(),
      locallyChanged: fc.boolean()
    }).map(({ counters, modifiedS, invalid, deleted, locallyChanged }) => {
      const dedup = new Map(counters)
      return rec(device, { version: v(...dedup), modifiedS, invalid, deleted }, locallyChanged)
    })
    const arbSet = fc.subarray(devices, { minLength: 1 }).chain((ds) => fc.tuple(...ds.map(arbRecord)))
    fc.assert(fc.property(arbSet.chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length }))),
      ([rs, shuffled]) => {
        const x = selectGlobal(rs)
        const y = selectGlobal(shuffled)
        assert.equal(x?.global, y?.global)
        assert.deepEqual(x?.ordered, y?.ordered)
        for (const rules of [{ deleteLosesConflicts: true }]) assert.equal(selectGlobal(rs, rules)?.global, selectGlobal(shuffled, rules)?.global)
      }), { numRuns: 500 })
  })
})

describe('need', () => {
  const base = rec(A, { version: v([A, 1]) })
  const remoteNewer = rec(B, { version: v([A, 1], [B, 1]), blocks: [{ offset: 0, size: 3, hash: new Uint8Array(32).fill(2) }] })
  const remoteConcurrent = rec(B, { version: v([B, 1]), modifiedS: 5000, blocks: [{ offset: 0, size: 3, hash: new Uint8Array(32).fill(3) }] })

  it('send-receive: pull newer, delete deleted, nothing when equal or both absent, conflict when concurrent', () => {
    assert.deepEqual(need(base, base, 'sendreceive'), { kind: 'none', conflict: false })
    assert.deepEqual(need(base, remoteNewer, 'sendreceive'), { kind: 'pull', conflict: false })
    assert.deepEqual(need(undefined, remoteNewer, 'sendreceive'), { kind: 'pull', conflict: false })
    const deleted = rec(B, { version: v([A, 1], [B, 1]), deleted: true, blocks: [], size: 0 })
    assert.deepEqual(need(base, deleted, 'sendreceive'), { kind: 'delete', conflict: false })
    assert.deepEqual(need(undefined, deleted, 'sendreceive'), { kind: 'none', conflict: false })
    assert.deepEqual(need(base, remoteConcurrent, 'sendreceive'), { kind: 'pull', conflict: true })
    const sameContent = rec(B, { version: v([B, 1]), modifiedS: 5000 })
    assert.deepEqual(need(base, sameContent, 'sendreceive'), { kind: 'pull', conflict: false })
    const concurrentDelete = rec(B, { version: v([B, 1]), modifiedS: 5000, deleted: true, blocks: [], size: 0 })
    assert.deepEqual(need(base, concurrentDelete, 'sendreceive'), { kind: 'delete', conflict: true })
  })

  it('send-only: never pulls, reports out of sync; override makes the local record win', () => {
    assert.deepEqual(need(base, remoteNewer, 'sendonly'), { kind: 'outOfSync', conflict: false })
    const o = overriddenRecord(base.file, remoteNewer.file, shortId(A), 0)
    assert.equal(selectGlobal([{ device: A, file: o }, remoteNewer])?.global.device, A)
    assert.equal(overriddenRecord(undefined, remoteNewer.file, shortId(A), 0).deleted, true)
  })

  it('receive-only: keeps local changes (announced invalid), conflicts with concurrent remote changes, reverts cleanly', () => {
    const changed = rec(A, { version: v([A, 2]), modifiedS: 3000 }, true)
    const global = selectGlobal([changed, rec(B, { version: v([A, 1]) })])
    assert.equal(global?.global.device, B)
    assert.deepEqual(need(changed, global?.global, 'receiveonly'), { kind: 'locallyChanged', conflict: false })
    assert.deepEqual(need(changed, changed, 'receiveonly'), { kind: 'locallyChanged', conflict: false })
    const sent = announcedFile(changed)
    assert.equal(sent.invalid, true)
    assert.deepEqual(sent.version, [])
    const later = rec(B, { version: v([A, 1], [B, 1]), modifiedS: 100, blocks: [{ offset: 0, size: 3, hash: new Uint8Array(32).fill(4) }] })
    assert.deepEqual(need(changed, later, 'receiveonly'), { kind: 'pull', conflict: true })
    const reverted: DeviceRecord = { device: A, file: revertedRecord(changed.file) }
    assert.deepEqual(need(reverted, later, 'receiveonly'), { kind: 'pull', conflict: false })
  })
})

describe('conflicts', () => {
  it('are decided identically whatever the argument order', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean(), (ta, tb, ia, db) => {
      const a = rec(A, { version: v([A, 1]), modifiedS: ta, invalid: ia })
      const b = rec(B, { version: v([B, 1]), modifiedS: tb, deleted: db })
      const x = resolveConflict(a, b)
      const y = resolveConflict(b, a)
      assert.equal(x.winner, y.winner)
      assert.equal(x.loser, y.loser)
      assert.equal(Math.sign(compareRecords(a, b)), -Math.sign(compareRecords(b, a)))
    }))
  })

  it('keep the losing file as a copy named with the winner\'s modifier, as Syncthing\'s puller does', () => {
    const older = rec(A, { version: v([A, 1]), modifiedS: 1000, modifiedBy: shortId(A) })
    const newer = rec(B, { version: v([B, 1]), modifiedS: 2000, modifiedBy: shortId(B), blocks: [], size: 0 })
    const r = resolveConflict(older, newer)
    assert.equal(r.winner, newer)
    assert.equal(r.keepCopy, true)
    assert.equal(r.copyModifiedBy, shortId(B))
    assert.equal(resolveConflict(rec(A, { name: 'x.sync-conflict-20240101-000000-AAAAAAA.txt' }), newer).keepCopy, false)
    assert.equal(resolveConflict(rec(A, { deleted: true, modifiedS: 0 }), newer).keepCopy, false)
  })

  it('name copies like Syncthing (Go filepath.Ext: last extension only)', () => {
    const at = new Date(Date.UTC(2024, 0, 2, 3, 4, 5))
    const id = shortId('7fe3b6f2'.padEnd(64, '0') as BepDeviceId)
    const tag = 'P7R3N4Q'
    assert.equal(conflictName('a.txt', id, at, { utc: true }), `a.sync-conflict-20240102-030405-${tag}.txt`)
    assert.equal(conflictName('dir/a.tar.gz', id, at, { utc: true }), `dir/a.tar.sync-conflict-20240102-030405-${tag}.gz`)
    assert.equal(conflictName('dir.d/README', id, at, { utc: true }), `dir.d/README.sync-conflict-20240102-030405-${tag}`)
    assert.equal(conflictName('.bashrc', id, at, { utc: true }), `.sync-conflict-20240102-030405-${tag}.bashrc`)
    assert.equal(conflictName('a.txt', 0n, at, { utc: true }), 'a.sync-conflict-20240102-030405-.txt')
    assert.ok(isConflictName(conflictName('a.txt', id, at)))
    assert.ok(!isConflictName('x.sync-conflict-1/a.txt'))
    assert.ok(isConflictCopyOf(conflictName('dir/a.tar.gz', id, at), 'dir/a.tar.gz'))
    assert.ok(!isConflictCopyOf('dir/a.tar.gz', 'dir/a.tar.gz'))
  })
})

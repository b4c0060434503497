/**
 * The kept folder counters: for random sequences of local updates, remote Index and
 * IndexUpdate messages, index ID changes and device drops on a few names and devices, the
 * counters always equal a full recount (under both conflict rules, for every folder type);
 * a schema-1 database gets correct counters on upgrade; a change of rules recounts.
 */
import { after, before, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { BepDeviceId, FileInfo, FolderId, FolderType } from '../types.js'
import type { GlobalRules } from '../model/global.js'
import { shortId } from '../model/vector.js'
import { fileValues, upsertFileSql } from './codec.js'
import { openIndexDatabase } from './schema.js'
import { IndexStore, type LocalFile } from './store.js'

const dev = (n: number): BepDeviceId => n.toString(16).padStart(2, '0').repeat(32) as BepDeviceId
const LOCAL = dev(0x11)
const REMOTES = [dev(0x22), dev(0x33)] as const
const DEVICES = [LOCAL, ...REMOTES]
const NAMES = ['a', 'b', 'c/d', 'é']
const types: FolderType[] = ['sendreceive', 'receiveonly', 'sendonly']

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-counters-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

/** A record with few possible values per field, so that ties, conflicts and equal versions happen. */
const arbFile = fc.record({
  name: fc.constantFrom(...NAMES),
  type: fc.constantFrom('file' as const, 'directory' as const, 'symlink' as const),
  size: fc.constantFrom(0, 5, 1000),
  modifiedS: fc.constantFrom(1, 2),
  deleted: fc.boolean(),
  invalid: fc.constantFrom(false, false, false, true),
  locallyChanged: fc.constantFrom(false, false, false, true),
  version: fc.array(fc.record({ who: fc.nat({ max: 2 }), value: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 })
}).map((g): LocalFile => {
  const version = [...new Map(g.version.map((c) => [c.who, c.value]))]
    .map(([who, value]) => ({ id: shortId(DEVICES[who] as BepDeviceId), value: BigInt(value) }))
    .sort((x, y) => (x.id < y.id ? -1 : 1))
  return {
    name: g.name, type: g.type, size: g.deleted || g.type !== 'file' ? 0 : g.size, permissions: 0o644, modifiedS: g.modifiedS, modifiedNs: 0,
    modifiedBy: 1n, deleted: g.deleted, invalid: g.invalid, noPermissions: false, version, sequence: 0, blockSize: 131072,
    blocks: [], symlinkTarget: '', locallyChanged: g.locallyChanged
  }
})

type Op =
  | { op: 'local', files: LocalFile[] }
  | { op: 'remote', device: number, kind: 'full' | 'update', files: LocalFile[] }
  | { op: 'indexId', device: number, id: bigint }
  | { op: 'drop', device: number }

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('local' as const), files: fc.array(arbFile, { maxLength: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('remote' as const), device: fc.nat({ max: 1 }), kind: fc.constantFrom('full' as const, 'update' as const), files: fc.array(arbFile, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('indexId' as const), device: fc.nat({ max: 1 }), id: fc.constantFrom(1n, 2n) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), device: fc.nat({ max: 1 }) }) }
)

function apply (store: IndexStore, folder: FolderId, o: Op): void {
  switch (o.op) {
    case 'local': store.updateLocal(folder, o.files); break
    case 'remote': {
      const device = REMOTES[o.device] as BepDeviceId
      // A remote record has no local-change flag; the sequence is the announcing device's.
      store.applyRemote(folder, device, o.files.map(({ locallyChanged: _, ...f }, i) => ({ ...f, sequence: i + 1 })), o.kind)
      break
    }
    case 'indexId': store.setRemoteIndexId(folder, REMOTES[o.device] as BepDeviceId, o.id); break
    case 'drop': store.dropDevice(folder, REMOTES[o.device] as BepDeviceId)
  }
}

/** The kept counters of a folder equal a recount, for every folder type. */
function assertKept (store: IndexStore, folder: FolderId): void {
  const counted = store.recount(folder)
  assert.deepEqual(store.localCounts(folder), counted.local)
  assert.deepEqual(store.globalCounts(folder), counted.global)
  for (const type of types) assert.deepEqual(store.overview(folder, type), { global: counted.global, need: store.recount(folder, type).need }, type)
}

describe('kept folder counters', () => {
  for (const rules of [{}, { deleteLosesConflicts: true }] satisfies GlobalRules[]) {
    it(`equal a recount after any sequence of changes (rules ${JSON.stringify(rules)})`, () => {
      const store = IndexStore.open({ path: join(dir, `prop-${rules.deleteLosesConflicts === true ? 1 : 2}.db`), localDevice: LOCAL, rules })
      let run = 0
      try {
        fc.assert(fc.property(fc.array(arbOp, { minLength: 1, maxLength: 12 }), (ops) => {
          const folder = `f${++run}` as FolderId
          for (const o of ops) {
            apply(store, folder, o)
            assertKept(store, folder)
          }
        }), { numRuns: 200 })
      } finally {
        store.close()
      }
    })
  }

  it('equal a recount after batches larger than one lookup, with names repeated across lookups', () => {
    const store = IndexStore.open({ path: join(dir, 'batches.db'), localDevice: LOCAL })
    const folder = 'batches' as FolderId
    const l = shortId(LOCAL)
    const r = shortId(REMOTES[0])
    const rec = (i: number, over: Partial<FileInfo>): FileInfo => ({
      name: `n${i % 150}`, type: 'file', size: i, permissions: 0o644, modifiedS: 1, modifiedNs: 0, modifiedBy: 1n, deleted: false,
      invalid: false, noPermissions: false, version: [], sequence: i + 1, blockSize: 131072, blocks: [], symlinkTarget: '', ...over
    })
    const ids = Array.from({ length: 300 }, (_, i) => i)
    store.applyRemote(folder, REMOTES[0], ids.map((i) => rec(i, { version: [{ id: r, value: BigInt(1 + Math.floor(i / 150)) }] })), 'full')
    assertKept(store, folder)
    store.updateLocal(folder, ids.map((i) => rec(i, { version: [{ id: r, value: 1n }, { id: l, value: BigInt(i % 3) + 1n }], deleted: i % 7 === 0 })))
    assertKept(store, folder)
    store.applyRemote(folder, REMOTES[1], ids.slice(0, 200).map((i) => rec(i, { version: [{ id: shortId(REMOTES[1]), value: 1n }], modifiedS: i % 2 })), 'update')
    store.applyRemote(folder, REMOTES[0], ids.slice(100).map((i) => rec(i, { version: [{ id: r, value: 5n }], type: 'directory', size: 0 })), 'full')
    assertKept(store, folder)
    store.dropDevice(folder, REMOTES[1])
    assertKept(store, folder)
    store.close()
  })

  it('roll back with a refused write, and go with a dropped folder', () => {
    const store = IndexStore.open({ path: join(dir, 'rollback.db'), localDevice: LOCAL })
    const folder = 'rb' as FolderId
    const good = { name: 'x', type: 'file' as const, size: 5, permissions: 0o644, modifiedS: 1, modifiedNs: 0, modifiedBy: 1n, deleted: false, invalid: false, noPermissions: false, version: [{ id: 1n, value: 1n }], sequence: 1, blockSize: 131072, blocks: [], symlinkTarget: '' }
    store.applyRemote(folder, REMOTES[0], [good], 'full')
    assert.throws(() => store.applyRemote(folder, REMOTES[0], [{ ...good, name: 'y' }, { ...good, name: '' }], 'full'), { code: 'INVALID_ARGUMENT' })
    assertKept(store, folder)
    assert.equal(store.overview(folder, 'sendreceive').need.files, 1)
    store.dropFolder(folder)
    assert.deepEqual(store.overview(folder, 'sendreceive').global.files, 0)
    store.updateLocal(folder, [{ ...good, name: 'z' }])
    assertKept(store, folder)
    assert.deepEqual(store.localCounts(folder).files, 1)
    store.close()
  })

  it('are filled when a schema-1 database is upgraded, and recounted when the rules change', () => {
    const path = join(dir, 'v1.db')
    const db = openIndexDatabase(path, { upTo: 1 })
    const remote = REMOTES[0]
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('local_device', LOCAL)
    db.prepare('INSERT INTO folders (idx, folder_id) VALUES (1, ?), (2, ?)').run('one', 'two')
    db.prepare('INSERT INTO devices (idx, device_id) VALUES (1, ?), (2, ?)').run(LOCAL, remote)
    const put = (folder: number, device: number, f: FileInfo, locallyChanged = false): void => {
      db.prepare(upsertFileSql).get(folder, device, ...fileValues(f, locallyChanged))
    }
    const l = shortId(LOCAL)
    const r = shortId(remote)
    const base: FileInfo = { name: '', type: 'file', size: 10, permissions: 0o644, modifiedS: 5, modifiedNs: 0, modifiedBy: l, deleted: false, invalid: false, noPermissions: false, version: [], sequence: 1, blockSize: 131072, blocks: [], symlinkTarget: '' }
    // 'same': in sync; 'pull': newer on the remote; 'gone': deleted on the remote; 'dir': local only;
    // 'fight': concurrent, the remote's delete is newer (wins unless deletes lose conflicts).
    put(1, 1, { ...base, name: 'same', version: [{ id: l, value: 1n }] })
    put(1, 2, { ...base, name: 'same', version: [{ id: l, value: 1n }] })
    put(1, 1, { ...base, name: 'pull', size: 3, version: [{ id: l, value: 1n }] })
    put(1, 2, { ...base, name: 'pull', size: 7, version: [{ id: l, value: 1n }, { id: r, value: 1n }] })
    put(1, 1, { ...base, name: 'gone', version: [{ id: l, value: 1n }] })
    put(1, 2, { ...base, name: 'gone', deleted: true, size: 0, version: [{ id: l, value: 1n }, { id: r, value: 1n }] })
    put(1, 1, { ...base, name: 'dir', type: 'directory', size: 0, version: [{ id: l, value: 1n }] })
    put(1, 1, { ...base, name: 'fight', size: 4, version: [{ id: l, value: 2n }] })
    put(1, 2, { ...base, name: 'fight', deleted: true, size: 0, modifiedS: 9, version: [{ id: l, value: 1n }, { id: r, value: 1n }] })
    put(2, 2, { ...base, name: 'other', version: [{ id: r, value: 1n }] })
    db.close()

    const store = IndexStore.open({ path, localDevice: LOCAL })
    const one = 'one' as FolderId
    assert.deepEqual(store.localCounts(one), { files: 4, directories: 1, symlinks: 0, deleted: 0, bytes: 27 })
    assert.deepEqual(store.overview(one, 'sendreceive'), {
      global: { files: 2, directories: 1, symlinks: 0, deleted: 2, bytes: 17 },
      need: { files: 1, bytes: 7, deletes: 2 }
    })
    assert.deepEqual(store.overview('two' as FolderId, 'receiveonly').need, { files: 1, bytes: 10, deletes: 0 })
    for (const folder of store.folders()) assertKept(store, folder)
    store.close()
    const check = openIndexDatabase(path)
    assert.equal((check.prepare('SELECT version FROM schema_version').get() as { version: number }).version, 2)
    assert.equal((check.prepare('SELECT count(*) AS n FROM folder_counts').get() as { n: number }).n, 2)
    check.close()

    const rules: GlobalRules = { deleteLosesConflicts: true }
    const again = IndexStore.open({ path, localDevice: LOCAL, rules })
    assert.deepEqual(again.overview(one, 'sendreceive'), {
      global: { files: 3, directories: 1, symlinks: 0, deleted: 1, bytes: 21 },
      need: { files: 1, bytes: 7, deletes: 1 }
    })
    for (const folder of again.folders()) assertKept(again, folder)
    again.close()
  })
})

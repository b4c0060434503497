/**
 * The sync index: FileInfo round trips, local sequences and delta reads, remote Index vs
 * IndexUpdate, index IDs, global state and need, counts, block lookup (one and many), folder drop, and the
 * refusal of corrupt or foreign database files.
 */
import { after, before, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { BepDeviceId, FileInfo, FolderId } from '../types.js'
import { shortId } from '../model/vector.js'
import { IndexStore } from './store.js'

const dev = (n: number): BepDeviceId => n.toString(16).padStart(2, '0').repeat(32) as BepDeviceId
const LOCAL = dev(0x11)
const REMOTE = dev(0x22)
const FOLDER = 'abcd-1234' as FolderId
const hash = (n: number): Uint8Array => new Uint8Array(32).fill(n)

function file (name: string, over: Partial<FileInfo> = {}): FileInfo {
  return {
    name, type: 'file', size: 5, permissions: 0o644, modifiedS: 1700000000, modifiedNs: 123, modifiedBy: shortId(LOCAL),
    deleted: false, invalid: false, noPermissions: false, version: [{ id: shortId(LOCAL), value: 1n }], sequence: 0,
    blockSize: 131072, blocks: [{ offset: 0, size: 5, hash: hash(1) }], symlinkTarget: '', ...over
  }
}

let dir: string
let n = 0
const openStore = (): IndexStore => IndexStore.open({ path: join(dir, `index-${++n}.db`), localDevice: LOCAL })

before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-index-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('index store', () => {
  it('round-trips any FileInfo', () => {
    const store = openStore()
    const arbFile = fc.record({
      name: fc.string({ minLength: 1, maxLength: 20 }),
      type: fc.constantFrom('file' as const, 'directory' as const, 'symlink' as const),
      size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      permissions: fc.nat({ max: 0o777 }),
      modifiedS: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      modifiedNs: fc.nat({ max: 999_999_999 }),
      modifiedBy: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      deleted: fc.boolean(),
      invalid: fc.boolean(),
      noPermissions: fc.boolean(),
      version: fc.array(fc.record({ id: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), value: fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }) }), { maxLength: 4 }),
      sequence: fc.constant(0),
      blockSize: fc.constantFrom(131072, 262144),
      blocks: fc.array(fc.record({ offset: fc.nat(), size: fc.nat({ max: 2 ** 31 }), hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }), { maxLength: 5 }),
      symlinkTarget: fc.string(),
      inode: fc.nat()
    }, { requiredKeys: ['name', 'type', 'size', 'permissions', 'modifiedS', 'modifiedNs', 'modifiedBy', 'deleted', 'invalid', 'noPermissions', 'version', 'sequence', 'blockSize', 'blocks', 'symlinkTarget'] })
    fc.assert(fc.property(arbFile, (generated) => {
      // fast-check builds records without a prototype; compare plain objects.
      const f: FileInfo = { ...generated, blocks: generated.blocks.map((b) => ({ ...b })), version: generated.version.map((c) => ({ ...c })) }
      const [stored] = store.updateLocal(FOLDER, [f])
      const back = store.getFile(FOLDER, LOCAL, f.name)?.file
      assert.deepEqual(back, { ...f, sequence: stored?.sequence })
    }), { numRuns: 200 })
    store.close()
  })

  it('numbers local records and reads them back by sequence, paged', () => {
    const store = openStore()
    store.updateLocal(FOLDER, [file('a'), file('b'), file('c')])
    store.updateLocal(FOLDER, [file('a', { size: 6 })])
    assert.deepEqual(store.localSince(FOLDER, 0).map((r) => [r.file.name, r.file.sequence]), [['b', 2], ['c', 3], ['a', 4]])
    assert.deepEqual(store.localSince(FOLDER, 2, 1).map((r) => r.file.name), ['c'])
    assert.deepEqual(store.localSince(FOLDER, 4), [])
    assert.equal(store.indexPosition(FOLDER, LOCAL)?.maxSequence, 4)
    const id = store.localIndexId(FOLDER)
    assert.notEqual(id, 0n)
    assert.equal(store.localIndexId(FOLDER), id)
    store.close()
  })

  it('replaces a remote index on Index and merges on IndexUpdate', () => {
    const store = openStore()
    const remote = (name: string, sequence: number): FileInfo => file(name, { sequence, modifiedBy: shortId(REMOTE), inode: 7 })
    assert.equal(store.applyRemote(FOLDER, REMOTE, [remote('x', 1), remote('y', 2)], 'full'), 2)
    assert.equal(store.applyRemote(FOLDER, REMOTE, [remote('z', 5)], 'update'), 5)
    assert.equal(store.getFile(FOLDER, REMOTE, 'x')?.file.inode, undefined)
    assert.deepEqual([...store.globals(FOLDER)].map((g) => g.name), ['x', 'y', 'z'])
    assert.equal(store.applyRemote(FOLDER, REMOTE, [remote('w', 1)], 'full'), 1)
    assert.deepEqual([...store.globals(FOLDER)].map((g) => g.name), ['w'])
    assert.equal(store.indexPosition(FOLDER, REMOTE)?.maxSequence, 1)
    assert.throws(() => store.applyRemote(FOLDER, LOCAL, [], 'update'), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => store.applyRemote(FOLDER, REMOTE, [file('bad', { blocks: [{ offset: 0, size: 1, hash: hash(1).subarray(1) }] })], 'update'),
      { code: 'INVALID_ARGUMENT' })
    assert.equal(store.getFile(FOLDER, REMOTE, 'bad'), undefined)
    store.close()
  })

  it('resets a remote whose index ID changes, and keeps it when the ID is the same', () => {
    const store = openStore()
    const big = (1n << 64n) - 5n
    assert.equal(store.setRemoteIndexId(FOLDER, REMOTE, big), true)
    store.applyRemote(FOLDER, REMOTE, [file('x', { sequence: 9 })], 'full')
    assert.equal(store.setRemoteIndexId(FOLDER, REMOTE, big), false)
    assert.deepEqual(store.indexPosition(FOLDER, REMOTE), { indexId: big, maxSequence: 9 })
    assert.equal(store.setRemoteIndexId(FOLDER, REMOTE, 42n), true)
    assert.deepEqual(store.indexPosition(FOLDER, REMOTE), { indexId: 42n, maxSequence: 0 })
    assert.equal(store.getFile(FOLDER, REMOTE, 'x'), undefined)
    store.close()
  })

  it('computes global state, need and counts', () => {
    const store = openStore()
    const l = shortId(LOCAL)
    const r = shortId(REMOTE)
    store.updateLocal(FOLDER, [file('same'), file('old'), file('mine', { version: [{ id: l, value: 2n }] }), file('d', { type: 'directory', size: 0, blocks: [] })])
    store.applyRemote(FOLDER, REMOTE, [
      file('same', { sequence: 1 }),
      file('old', { sequence: 2, size: 10, version: [{ id: l, value: 1n }, { id: r, value: 1n }], blocks: [{ offset: 0, size: 10, hash: hash(9) }] }),
      file('mine', { sequence: 3 }),
      file('new', { sequence: 4, size: 7, version: [{ id: r, value: 1n }] })
    ], 'full')
    const globals = new Map([...store.globals(FOLDER, 2)].map((g) => [g.name, g]))
    assert.deepEqual([...globals.keys()], ['d', 'mine', 'new', 'old', 'same'])
    assert.equal(globals.get('old')?.global.device, REMOTE)
    assert.equal(globals.get('mine')?.global.device, LOCAL)
    assert.equal(globals.get('same')?.records.length, 2)
    const needed = [...store.needed(FOLDER, 'sendreceive', 3)].map((e) => [e.name, e.need.kind])
    assert.deepEqual(needed, [['new', 'pull'], ['old', 'pull']])
    assert.deepEqual([...store.needed(FOLDER, 'sendonly')].map((e) => e.need.kind), ['outOfSync', 'outOfSync'])
    assert.deepEqual(store.localCounts(FOLDER), { files: 3, directories: 1, symlinks: 0, deleted: 0, bytes: 15 })
    assert.deepEqual(store.globalCounts(FOLDER), { files: 4, directories: 1, symlinks: 0, deleted: 0, bytes: 27 })
    // The status view's single pass agrees with the two passes above ('new' 7 + 'old' 10 bytes).
    assert.deepEqual(store.overview(FOLDER, 'sendreceive'), { global: store.globalCounts(FOLDER), need: { files: 2, bytes: 17, deletes: 0 } })
    assert.deepEqual(store.overview(FOLDER, 'sendonly').need, { files: 0, bytes: 0, deletes: 0 })
    store.close()
  })

  it('keeps receive-only local changes out of the global state, and drops a device', () => {
    const store = openStore()
    const l = shortId(LOCAL)
    const r = shortId(REMOTE)
    store.applyRemote(FOLDER, REMOTE, [file('f', { sequence: 1, version: [{ id: r, value: 1n }] })], 'full')
    store.updateLocal(FOLDER, [{ ...file('f', { version: [{ id: r, value: 1n }, { id: l, value: 1n }], size: 9 }), locallyChanged: true }])
    assert.equal(store.localSince(FOLDER, 0)[0]?.locallyChanged, true)
    const [entry] = [...store.needed(FOLDER, 'receiveonly')]
    assert.equal(entry?.global.device, REMOTE)
    assert.deepEqual(entry?.need, { kind: 'locallyChanged', conflict: false })
    assert.deepEqual(store.localCounts(FOLDER).files, 0)
    store.dropDevice(FOLDER, REMOTE)
    assert.equal(store.indexPosition(FOLDER, REMOTE), undefined)
    assert.deepEqual([...store.globals(FOLDER)].map((g) => g.global.device), [LOCAL])
    assert.throws(() => store.dropDevice(FOLDER, LOCAL), { code: 'INVALID_ARGUMENT' })
    store.close()
  })

  it('finds local blocks by hash, and forgets them with their file or folder', () => {
    const store = openStore()
    const other = 'other' as FolderId
    store.updateLocal(FOLDER, [file('a', { blocks: [{ offset: 0, size: 5, hash: hash(1) }, { offset: 5, size: 5, hash: hash(2) }], size: 10 })])
    store.updateLocal(other, [file('b', { blocks: [{ offset: 0, size: 5, hash: hash(2) }] })])
    store.applyRemote(FOLDER, REMOTE, [file('r', { blocks: [{ offset: 0, size: 5, hash: hash(3) }], sequence: 1 })], 'full')
    assert.deepEqual(store.findLocalBlocks(hash(1)), [{ folder: FOLDER, name: 'a', offset: 0, size: 5 }])
    assert.equal(store.findLocalBlocks(hash(2)).length, 2)
    assert.deepEqual(store.findLocalBlocks(hash(2), other).map((b) => b.name), ['b'])
    assert.deepEqual(store.findLocalBlocks(hash(3)), [], 'remote blocks are not local')
    // The batch lookup answers like one lookup per hash, in input order, over several queries.
    const many = Array.from({ length: 150 }, (_, i) => hash([1, 2, 3, 4][i % 4] as number))
    const sortByName = (l: Array<{ name: string }>): string[] => l.map((b) => b.name).sort()
    assert.deepEqual(store.findLocalBlocksMany(many).map(sortByName), many.map((h) => sortByName(store.findLocalBlocks(h))))
    assert.deepEqual(store.findLocalBlocksMany([hash(2), hash(1)], other), [[{ folder: other, name: 'b', offset: 0, size: 5 }], []])
    assert.deepEqual(store.findLocalBlocksMany([hash(2)], undefined, 1).map((l) => l.length), [1])
    assert.deepEqual(store.findLocalBlocksMany([]), [])
    store.updateLocal(FOLDER, [file('a', { deleted: true, blocks: [], size: 0 })])
    assert.deepEqual(store.findLocalBlocks(hash(1)), [])
    store.dropFolder(other)
    assert.deepEqual(store.findLocalBlocks(hash(2)), [])
    assert.deepEqual(store.folders(), [FOLDER])
    store.dropFolder(FOLDER)
    assert.deepEqual([...store.globals(FOLDER)], [])
    assert.deepEqual(store.folders(), [])
    store.close()
  })

  it('persists across reopen and refuses corrupt or foreign files', async () => {
    const path = join(dir, 'persist.db')
    const first = IndexStore.open({ path, localDevice: LOCAL })
    first.updateLocal(FOLDER, [file('kept')])
    first.close()
    const again = IndexStore.open({ path, localDevice: LOCAL, verify: true })
    assert.equal(again.getFile(FOLDER, LOCAL, 'kept')?.file.sequence, 1)
    again.close()
    assert.throws(() => IndexStore.open({ path, localDevice: REMOTE }), { code: 'CONFIG_INVALID' })
    const junk = join(dir, 'junk.db')
    await writeFile(junk, Buffer.alloc(8192, 0x5a))
    assert.throws(() => IndexStore.open({ path: junk, localDevice: LOCAL }), (err: Error & { code?: string }) =>
      err.code === 'CONFIG_INVALID' && /corrupt or not a SQLite database/.test(err.message))
  })
})

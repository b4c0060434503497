/**
 * The index at folder scale: 100,000 names held by two devices, written in batches, then a
 * full need pass and global counts (the kept counters checked against the pass). Checks that
 * it works and that the heap does not grow with the number of names; no timing assertions.
 */
import { after, before, describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BepDeviceId, FileInfo, FolderId } from '../types.js'
import { shortId } from '../model/vector.js'
import { IndexStore } from './store.js'

const LOCAL = '11'.repeat(32) as BepDeviceId
const REMOTE = '22'.repeat(32) as BepDeviceId
const FOLDER = 'big' as FolderId
const total = 100_000
const batch = 2_000

function file (i: number, device: BepDeviceId, value: bigint): FileInfo {
  const hash = new Uint8Array(32)
  new DataView(hash.buffer).setUint32(0, i)
  return {
    name: `dir${i % 100}/file-${i}.dat`, type: 'file', size: 1000, permissions: 0o644, modifiedS: 1700000000 + i, modifiedNs: 0,
    modifiedBy: shortId(device), deleted: false, invalid: false, noPermissions: false,
    version: [{ id: shortId(LOCAL), value }], sequence: i + 1, blockSize: 131072, blocks: [{ offset: 0, size: 1000, hash }], symlinkTarget: ''
  }
}

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'weft-index-scale-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

describe('index at scale', () => {
  it('stores 100,000 records per device and computes need with bounded memory', () => {
    const store = IndexStore.open({ path: join(dir, 'big.db'), localDevice: LOCAL })
    for (let start = 0; start < total; start += batch) {
      const ids = Array.from({ length: batch }, (_, k) => start + k)
      store.updateLocal(FOLDER, ids.map((i) => file(i, LOCAL, 1n)))
      // Every tenth file is newer on the remote.
      store.applyRemote(FOLDER, REMOTE, ids.map((i) => file(i, REMOTE, i % 10 === 0 ? 2n : 1n)), start === 0 ? 'full' : 'update')
    }
    assert.equal(store.indexPosition(FOLDER, LOCAL)?.maxSequence, total)
    assert.equal(store.localSince(FOLDER, total - 10).length, 10)

    const heapBefore = process.memoryUsage().heapUsed
    let needed = 0
    let peak = heapBefore
    let seen = 0
    for (const entry of store.needed(FOLDER, 'sendreceive')) {
      assert.equal(entry.need.kind, 'pull')
      needed++
      if (++seen % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
    }
    assert.equal(needed, total / 10)
    // The kept counters agree with the pass.
    assert.deepEqual(store.overview(FOLDER, 'sendreceive').need, { files: total / 10, bytes: total / 10 * 1000, deletes: 0 })
    const counts = store.globalCounts(FOLDER)
    assert.deepEqual(counts, { files: total, directories: 0, symlinks: 0, deleted: 0, bytes: total * 1000 })
    const growthMb = (peak - heapBefore) / 2 ** 20
    console.log(`need pass over ${total} names: heap grew at most ${growthMb.toFixed(1)} MiB`)
    assert.ok(growthMb < 256, `heap grew by ${growthMb} MiB`)
    assert.equal(store.findLocalBlocks(file(12345, LOCAL, 1n).blocks[0]!.hash)[0]?.name, 'dir45/file-12345.dat')
    store.close()
  })
})

/**
 * A quick measurement of the sync index's hot write path and status query: applyRemote then
 * updateLocal of N synthetic records (batches of 1,000, as a pull of N small files would do;
 * another batch size may be given),
 * then `overview` and `localCounts` at N names, the old full pass, and the filling of the
 * counters on opening after an upgrade. Prints wall and CPU times (CPU is the steadier
 * figure on a shared machine); asserts nothing.
 * Usage: node dist/bench/index-store.js [N=100000] [batch=1000]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BepDeviceId, FileInfo, FolderId } from '../src/features/sync/types.js'
import { shortId } from '../src/features/sync/model/vector.js'
import { IndexStore } from '../src/features/sync/index/store.js'
import { openIndexDatabase } from '../src/features/sync/index/schema.js'

const LOCAL = '11'.repeat(32) as BepDeviceId
const REMOTE = '22'.repeat(32) as BepDeviceId
const FOLDER = 'bench' as FolderId
const total = Number(process.argv[2] ?? 100_000)
const batch = Number(process.argv[3] ?? 1_000)

function file (i: number, device: BepDeviceId, sequence: number): FileInfo {
  const hash = new Uint8Array(32)
  new DataView(hash.buffer).setUint32(0, i)
  return {
    name: `dir${i % 100}/file-${i}.dat`, type: 'file', size: 1000 + (i % 9000), permissions: 0o644, modifiedS: 1700000000 + i, modifiedNs: 0,
    modifiedBy: shortId(device), deleted: false, invalid: false, noPermissions: false,
    version: [{ id: shortId(REMOTE), value: 1n }], sequence, blockSize: 131072, blocks: [{ offset: 0, size: 1000 + (i % 9000), hash }], symlinkTarget: ''
  }
}

function time<T> (what: string, fn: () => T): T {
  const start = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  const out = fn()
  const used = process.cpuUsage(cpu)
  console.log(`${what}: ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(1)} ms wall, ${((used.user + used.system) / 1e3).toFixed(1)} ms CPU`)
  return out
}

const dir = await mkdtemp(join(tmpdir(), 'weft-index-bench-'))
try {
  const path = join(dir, 'index.db')
  const store = IndexStore.open({ path, localDevice: LOCAL })
  time(`applyRemote ${total} records`, () => {
    for (let start = 0; start < total; start += batch) {
      const ids = Array.from({ length: Math.min(batch, total - start) }, (_, k) => start + k)
      store.applyRemote(FOLDER, REMOTE, ids.map((i) => file(i, REMOTE, i + 1)), start === 0 ? 'full' : 'update')
    }
  })
  time(`updateLocal ${total} records (as pulled)`, () => {
    for (let start = 0; start < total; start += batch) {
      const ids = Array.from({ length: Math.min(batch, total - start) }, (_, k) => start + k)
      store.updateLocal(FOLDER, ids.map((i) => file(i, REMOTE, 0)))
    }
  })
  for (let round = 0; round < 3; round++) {
    const o = time(`overview at ${total} names`, () => store.overview(FOLDER, 'sendreceive'))
    const l = time(`localCounts at ${total} names`, () => store.localCounts(FOLDER))
    if (round === 0) console.log(JSON.stringify({ overview: o, local: l }))
  }
  time(`the old full pass (recount) at ${total} names`, () => store.recount(FOLDER))
  // What a pull asks before it requests a small file's one block: is it somewhere local?
  const lookups = Math.min(total, 10_000)
  const absent = (i: number): Uint8Array => { const h = new Uint8Array(32); new DataView(h.buffer).setUint32(4, i + 1); return h }
  const present = (i: number): Uint8Array => file(i, REMOTE, 0).blocks[0]!.hash
  for (const [what, hashOf] of [['absent', absent], ['present', present]] as const) {
    time(`findLocalBlocksMany of one ${what} hash, ${lookups} times`, () => { for (let i = 0; i < lookups; i++) store.findLocalBlocksMany([hashOf(i)], FOLDER) })
    time(`findLocalBlocks of one ${what} hash, ${lookups} times`, () => { for (let i = 0; i < lookups; i++) store.findLocalBlocks(hashOf(i), FOLDER) })
  }
  store.close()
  // As after an upgrade to schema 2: no counters stored, so opening fills them by one pass.
  const db = openIndexDatabase(path)
  db.prepare('DELETE FROM folder_counts').run()
  db.close()
  time(`open with counters to fill at ${total} names`, () => IndexStore.open({ path, localDevice: LOCAL })).close()
} finally {
  await rm(dir, { recursive: true, force: true })
}

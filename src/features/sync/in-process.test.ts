/**
 * Two and three SyncServices in one process: each on its own in-memory folder file system
 * (MemoryFs) and in-memory mesh (MemoryMesh), with a real SQLite index in a temporary home.
 * Covers the index exchange, delta index updates after a change, a conflict (both sides edit
 * while apart), a deletion, versioning of what remote changes replace, a peer serving bad blocks (alone, and next to a good one), and a
 * full disk on the receiving side.
 * The real-daemon tests (test/integration/sync.test.ts) cover the same over real sockets and
 * disks; these run in milliseconds each.
 */
import { describe, it, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DeviceId, NetworkId } from '../../core/ids.js'
import { Emitter } from '../../core/emitter.js'
import { WeftError } from '../../core/errors.js'
import { silentLogger } from '../../core/log.js'
import { generateDeviceKey } from '../../identity/device-key.js'
import type { NetworkEvents, NetworkRecord, NetworkSummary, Networks } from '../../network/networks.js'
import { MemoryHub } from '../../testing/memory-mesh.js'
import type { MemoryMesh } from '../../testing/memory-mesh.js'
import { MemoryFs } from './fs/memory.js'
import { SyncService } from './service.js'
import type { VersioningConfig } from './types.js'

const net = '5e1f0000000000000000000000000001' as NetworkId
const root = '/sync/shared'
const folder = 'shared'

/** A Networks port with one network whose members are `members` (read at each call). */
function networksOf (self: DeviceId, members: DeviceId[]): Networks {
  const record: NetworkRecord = { id: net, secret: '00'.repeat(32), entries: [], invites: [], addresses: {} }
  return {
    deviceId: self,
    events: new Emitter<NetworkEvents>(),
    activeNetworks: () => [record],
    state: () => undefined,
    isMember: (id, device) => id === net && members.includes(device),
    fellowDevices: () => new Set(members.filter((d) => d !== self)),
    onlineFellows: () => new Set(),
    resolve: (ref) => {
      if (ref === net || ref === 'home') return record
      throw new WeftError('NOT_FOUND', `no network ${ref}`)
    },
    summary: (id) => ({ id, name: 'home', role: 'member', members: members.length, online: 0, creator: self }) as unknown as NetworkSummary,
    members: () => [],
    peers: () => []
  }
}

interface Device {
  id: DeviceId
  fs: MemoryFs
  home: string
  mesh: MemoryMesh
  service: SyncService
}

/** Waits (a turn of the event loop at a time) until `cond` holds; fails after a generous bound. */
async function until (what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  assert.fail(`never happened: ${what}`)
}

describe('sync services in one process (memory fs, memory mesh)', () => {
  const started: Device[] = []
  const homes: string[] = []
  afterEach(async () => {
    for (const d of started.splice(0)) {
      await d.service.stop()
      await d.mesh.stop()
    }
    await Promise.all(homes.splice(0).map(async (h) => { await rm(h, { recursive: true, force: true }) }))
  })

  /** Starts a service for `id` (fresh home and fs unless given) and adds the shared folder. */
  async function start (hub: MemoryHub, id: DeviceId, members: DeviceId[], opts: { fs?: MemoryFs, home?: string, corrupt?: boolean, files?: Record<string, string | Buffer>, versioning?: VersioningConfig } = {}): Promise<Device> {
    const fs = opts.fs ?? new MemoryFs()
    for (const [name, data] of Object.entries(opts.files ?? {})) fs.writeFileSync(join(root, name), data)
    let home = opts.home
    if (home === undefined) {
      home = await mkdtemp(join(tmpdir(), 'weft-inproc-'))
      homes.push(home)
    }
    const mesh = hub.createMesh(id)
    await mesh.start()
    const service = new SyncService({ home, deviceName: id.slice(0, 7), mesh, networks: networksOf(id, members), logger: silentLogger(), fs, corruptBlockResponses: opts.corrupt })
    await service.start()
    const device: Device = { id, fs, home, mesh, service }
    started.push(device)
    if (opts.home === undefined) await service.add({ path: root, network: net, id: folder, watch: false, versioning: opts.versioning })
    return device
  }

  async function stopDevice (d: Device): Promise<void> {
    started.splice(started.indexOf(d), 1)
    await d.service.stop()
    await d.mesh.stop()
  }

  function ids (n: number): DeviceId[] {
    return Array.from({ length: n }, () => generateDeviceKey().deviceId)
  }

  const view = (d: Device): ReturnType<SyncService['view']> => d.service.view(folder)
  const same = (a: Device, b: Device): boolean => JSON.stringify(a.fs.snapshot(root)) === JSON.stringify(b.fs.snapshot(root))
  const idle = (d: Device, after: number | null): boolean => { const v = view(d); return v.state === 'idle' && v.lastScanAt !== null && v.lastScanAt !== after }

  /** Rescans `d` and waits until that scan is done. */
  async function rescan (d: Device): Promise<void> {
    const before = view(d).lastScanAt
    d.fs.tick()
    d.service.rescan(folder)
    await until('the rescan ends', () => idle(d, before))
  }

  it('exchanges indexes and pulls a folder, then sends only the changed record (delta index)', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'a.txt': 'alpha', 'dir/b.txt': 'bravo', 'dir/sub/c.txt': 'charlie' } })
    const b = await start(hub, ib, [ia, ib])
    await a.mesh.connect(ib, [])
    await until('b has a\'s folder', () => same(a, b))
    assert.equal(b.fs.readFileSync(join(root, 'dir/sub/c.txt')).toString(), 'charlie')
    await until('both idle with nothing needed', () => view(b).need.files === 0 && view(a).need.files === 0)

    const before = b.service.linkStats(ia)?.recordsIn
    assert.ok(before !== undefined && before >= 5, `b got a's records (${before})`) // 3 files, 2 directories
    a.fs.writeFileSync(join(root, 'dir/b.txt'), 'bravo, edited')
    await rescan(a)
    await until('b has the edit', () => same(a, b))
    assert.equal(b.service.linkStats(ia)?.recordsIn, before + 1, 'only the changed record came over')
    assert.deepEqual(view(b).failed, [])
  })

  it('deletes on the other side what one side deleted', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'keep.txt': 'k', 'gone.txt': 'g', 'old/x.txt': 'x' } })
    const b = await start(hub, ib, [ia, ib])
    await a.mesh.connect(ib, [])
    await until('b has a\'s folder', () => same(a, b))
    await a.fs.unlink(join(root, 'gone.txt'))
    await a.fs.unlink(join(root, 'old/x.txt'))
    await a.fs.rmdir(join(root, 'old'))
    await rescan(a)
    await until('b deleted them too', () => same(a, b))
    assert.deepEqual(Object.keys(b.fs.snapshot(root)).sort(), ['.stfolder', 'keep.txt'])
  })

  it('pulls nothing into a folder whose marker is gone, and stays in error until it is back', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'one.txt': '1' } })
    const b = await start(hub, ib, [ia, ib])
    await a.mesh.connect(ib, [])
    await until('b has a\'s folder', () => same(a, b))
    // As an unmounted disk: b's folder root is empty, marker and all.
    await b.fs.unlink(join(root, 'one.txt'))
    await b.fs.unlink(join(root, '.stfolder'))
    b.service.rescan(folder)
    await until('b stops in error', () => view(b).state === 'error')
    a.fs.writeFileSync(join(root, 'two.txt'), '2')
    await rescan(a)
    await until('b learned of two.txt', () => view(b).need.files > 0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(view(b).state, 'error')
    assert.match(view(b).error ?? '', /stfolder|marker|missing/i)
    assert.deepEqual(Object.keys(b.fs.snapshot(root)), [], 'nothing was pulled into the empty root')
    assert.equal(Object.keys(a.fs.snapshot(root)).includes('one.txt'), true, 'a lost nothing')
  })

  it('keeps what a remote change replaces or deletes in the trash can', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'doc.txt': 'first', 'old.txt': 'old' } })
    const b = await start(hub, ib, [ia, ib], { versioning: { type: 'trashcan', cleanoutDays: 0 } })
    await a.mesh.connect(ib, [])
    await until('b has a\'s folder', () => same(a, b))
    a.fs.writeFileSync(join(root, 'doc.txt'), 'second')
    await a.fs.unlink(join(root, 'old.txt'))
    await rescan(a)
    const versions = join(root, '.stversions')
    await until('b archived both', () => b.fs.lstatSync(join(versions, 'old.txt')) !== undefined && b.fs.lstatSync(join(versions, 'doc.txt')) !== undefined)
    assert.equal(b.fs.readFileSync(join(versions, 'doc.txt')).toString(), 'first')
    assert.equal(b.fs.readFileSync(join(root, 'doc.txt')).toString(), 'second')
    assert.equal(b.fs.lstatSync(join(root, 'old.txt')), undefined)
  })

  it('keeps both versions when both sides edit a file while apart (conflict copy)', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'notes.txt': 'original' } })
    const b = await start(hub, ib, [ia, ib])
    await a.mesh.connect(ib, [])
    await until('b has a\'s folder', () => same(a, b))
    await until('a knows b is in sync', () => view(a).need.files === 0 && view(b).need.files === 0)

    hub.partition(ia, ib)
    await until('the link is down', () => a.service.linkStats(ib) === undefined && b.service.linkStats(ia) === undefined)
    a.fs.writeFileSync(join(root, 'notes.txt'), 'edited on a')
    b.fs.writeFileSync(join(root, 'notes.txt'), 'edited on b, longer')
    await rescan(a)
    await rescan(b)
    hub.heal(ia, ib)
    await a.mesh.connect(ib, [])
    await until('both sides converge', () => same(a, b) && Object.keys(a.fs.snapshot(root)).length === 3)
    const files = a.fs.snapshot(root)
    const copies = Object.keys(files).filter((n) => n.includes('.sync-conflict-'))
    assert.equal(copies.length, 1, `one conflict copy: ${Object.keys(files).join(', ')}`)
    assert.deepEqual([files['notes.txt'], files[copies[0] ?? '']].sort(), ['edited on a', 'edited on b, longer'])
    await until('both list the conflict', () => a.service.conflicts(folder).length === 1 && b.service.conflicts(folder).length === 1)
  })

  it('discards bad blocks from a peer and leaves nothing half-written', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { corrupt: true, files: { 'data.bin': Buffer.alloc(300_000, 7) } })
    const b = await start(hub, ib, [ia, ib])
    await a.mesh.connect(ib, [])
    await until('b reports the bad data and the failed file', () => view(b).badBlocks.length > 0 && view(b).failed.length > 0)
    assert.deepEqual(view(b).badBlocks.map((x) => x.device), [ia])
    assert.deepEqual(view(b).failed.map((f) => f.name), ['data.bin'])
    assert.deepEqual(Object.keys(b.fs.snapshot(root)), ['.stfolder'], 'no file and no temporary file')
    assert.equal(b.fs.openDescriptors, 0)
  })

  it('stops pulling on a full disk, and finishes once there is room again', async () => {
    const hub = new MemoryHub()
    const [ia, ib] = ids(2) as [DeviceId, DeviceId]
    const a = await start(hub, ia, [ia, ib], { files: { 'one.bin': Buffer.alloc(200_000, 1), 'two.txt': 'two' } })
    const b = await start(hub, ib, [ia, ib])
    const clear = b.fs.inject({ op: 'write', code: 'ENOSPC' })
    await a.mesh.connect(ib, [])
    await until('b says its disk is full', () => (view(b).error ?? '').includes('disk full') || view(b).failed.some((f) => f.error.includes('disk full')))
    assert.ok(!('one.bin' in b.fs.snapshot(root)), 'nothing half-written put in place')
    clear()
    b.service.rescan(folder)
    await until('b catches up', () => same(a, b))
  })

  it('with three devices, gets from a good peer the blocks a bad one corrupts, and spreads a change to both others', async () => {
    const hub = new MemoryHub()
    const [ia, ib, ic] = ids(3) as [DeviceId, DeviceId, DeviceId]
    const members = [ia, ib, ic]
    const big = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 12)) & 0xff
    const a = await start(hub, ia, members, { files: { 'big.bin': big, 'small.txt': 'small' } })
    const c = await start(hub, ic, members)
    await a.mesh.connect(ic, [])
    await until('c has a\'s folder', () => same(a, c))
    await until('a knows c is in sync', () => view(a).need.files === 0 && view(c).need.files === 0)

    // a restarts (same home, same files) serving corrupt blocks; b meets a, then c.
    await stopDevice(a)
    const a2 = await start(hub, ia, members, { fs: a.fs, home: a.home, corrupt: true })
    const b = await start(hub, ib, members)
    await b.mesh.connect(ia, [])
    await until('b reports bad blocks from a', () => view(b).badBlocks.some((x) => x.device === ia))
    assert.ok(!('big.bin' in b.fs.snapshot(root)), 'nothing of the bad data was put in place')
    await b.mesh.connect(ic, [])
    await until('b has the folder', () => same(b, c))
    assert.deepEqual(view(b).failed, [])

    b.fs.writeFileSync(join(root, 'small.txt'), 'changed on b')
    await rescan(b)
    await until('a and c have b\'s change', () => same(a2, b) && same(c, b))
  })
})

/**
 * Pulling regular files: byte-for-byte assembly from a fake BlockSource, local blocks copied
 * instead of requested (old version, other files), bad data from one device replaced by good
 * data from another, all devices bad (file fails, target untouched, no temp), resume from a
 * partial temporary file, injected ENOSPC, abort keeping the temp file, a file edited after
 * the scan left alone, and the versioner called before replacing.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { lstat, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { TrashCanVersioner } from '../versioning/trashcan.js'
import { DiskFullError } from '../fs/errors.js'
import { pullFile } from './puller.js'
import { FakeSource, depsWith, device, fileInfo, finderOf, scanned, sourceWith, tempFolder, testBlockSize } from '../../../../test/support/sync/puller-fixtures.js'

const opts = { devices: [device(1)] }

describe('pullFile: regular files', () => {
  let root = ''
  beforeEach(async () => { root = await tempFolder('pull') })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('assembles a file from the block source, byte for byte, with mtime and permissions', async () => {
    const data = randomBytes(5 * testBlockSize + 77)
    const file = fileInfo('dir/a.bin', { data, permissions: 0o640 })
    const deps = depsWith(sourceWith({ 'dir/a.bin': data }))
    const outcome = await pullFile(root, file, undefined, deps, opts)
    assert.equal(outcome.kind, 'updated')
    assert.deepEqual(await readFile(join(root, 'dir/a.bin')), data)
    const st = await lstat(join(root, 'dir/a.bin'), { bigint: true })
    assert.equal(Number(st.mode & 0o777n), 0o640)
    assert.equal(Number(st.mtimeNs / 1_000_000_000n), file.modifiedS)
    assert.ok(Math.abs(Number(st.mtimeNs % 1_000_000_000n) - file.modifiedNs) < 1000)
    assert.equal(deps.commit.committed.length, 1)
    assert.equal(deps.commit.committed[0]?.inode, Number(st.ino))
    assert.deepEqual(await readdir(join(root, 'dir')), ['a.bin'])
  })

  it('copies blocks found in another local file instead of requesting them', async () => {
    const data = randomBytes(4 * testBlockSize)
    const other = await scanned(root, 'other.bin', data)
    const source = sourceWith({})
    const deps = depsWith(source, { localBlocks: finderOf([other]) })
    await pullFile(root, fileInfo('copy.bin', { data }), undefined, deps, opts)
    assert.equal(source.requests.length, 0)
    assert.deepEqual(await readFile(join(root, 'copy.bin')), data)
  })

  it('reuses the old version\'s blocks and requests only the changed ones', async () => {
    const old = randomBytes(4 * testBlockSize)
    const current = await scanned(root, 'f.bin', old)
    const data = Buffer.concat([old, randomBytes(100)])
    const source = sourceWith({ 'f.bin': data })
    await pullFile(root, fileInfo('f.bin', { data }), current, depsWith(source), opts)
    assert.deepEqual(source.requests.map((r) => r.blockNo), [4])
    assert.deepEqual(await readFile(join(root, 'f.bin')), data)
  })

  it('never writes a wrong block, reports the device and uses another one', async () => {
    const data = randomBytes(3 * testBlockSize)
    const files = new Map([['x', data]])
    const source = new FakeSource(new Map([[device(1), { files, corrupt: true }], [device(2), { files }]]))
    const deps = depsWith(source)
    await pullFile(root, fileInfo('x', { data }), undefined, deps, { devices: [device(1), device(2)], blocksInFlight: 1 })
    assert.deepEqual(await readFile(join(root, 'x')), data)
    assert.ok(source.badReports.length >= 1)
    assert.ok(source.badReports.every((d) => d === device(1)))
  })

  it('fails the file when every device sends bad data: target untouched, no temp left', async () => {
    const old = Buffer.from('old content')
    const current = await scanned(root, 'x', old)
    const data = randomBytes(2 * testBlockSize)
    const files = new Map([['x', data]])
    const source = new FakeSource(new Map([[device(1), { files, corrupt: true }], [device(2), { files, corrupt: true }]]))
    await assert.rejects(pullFile(root, fileInfo('x', { data }), current, depsWith(source), { devices: [device(1), device(2)] }),
      (err: unknown) => err instanceof WeftError && err.code === 'PROTOCOL_ERROR')
    assert.deepEqual(await readFile(join(root, 'x')), old)
    assert.deepEqual(await readdir(root), ['x'])
  })

  it('resumes from a partial temporary file, requesting only what does not verify', async () => {
    const data = randomBytes(4 * testBlockSize)
    const partial = Buffer.concat([data.subarray(0, 2 * testBlockSize), randomBytes(testBlockSize)])
    await writeFile(join(root, '.syncthing.r.bin.tmp'), partial)
    const source = sourceWith({ 'r.bin': data })
    await pullFile(root, fileInfo('r.bin', { data }), undefined, depsWith(source), opts)
    assert.deepEqual(source.requests.map((r) => r.blockNo).sort(), [2, 3])
    assert.deepEqual(await readFile(join(root, 'r.bin')), data)
    assert.deepEqual(await readdir(root), ['r.bin'])
  })

  it('stops on ENOSPC with a disk-full error: target untouched, temp removed', async () => {
    const old = Buffer.from('precious')
    const current = await scanned(root, 'big', old)
    const data = randomBytes(3 * testBlockSize)
    let writes = 0
    const deps = depsWith(sourceWith({ big: data }), {
      writeAt: async (handle, chunk, position) => {
        if (++writes === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
        await handle.write(chunk, 0, chunk.length, position)
      }
    })
    await assert.rejects(pullFile(root, fileInfo('big', { data }), current, deps, { ...opts, blocksInFlight: 1 }),
      (err: unknown) => err instanceof DiskFullError && /disk full/.test(err.message))
    assert.deepEqual(await readFile(join(root, 'big')), old)
    assert.deepEqual(await readdir(root), ['big'])
    assert.equal(deps.commit.committed.length, 0)
  })

  it('keeps the temporary file when aborted, for a later resume', async () => {
    const data = randomBytes(4 * testBlockSize)
    const source = sourceWith({ a: data })
    source.delayMs = 20
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 30)
    await assert.rejects(pullFile(root, fileInfo('a', { data }), undefined, depsWith(source), { ...opts, signal: ac.signal, blocksInFlight: 1 }),
      (err: unknown) => err instanceof WeftError && err.code === 'ABORTED')
    assert.deepEqual(await readdir(root), ['.syncthing.a.tmp'])
  })

  it('leaves a file edited after the scan alone (conflict), before downloading anything', async () => {
    const current = await scanned(root, 'e.txt', Buffer.from('v1'))
    await writeFile(join(root, 'e.txt'), 'edited locally')
    const source = sourceWith({ 'e.txt': Buffer.from('remote') })
    const deps = depsWith(source)
    const outcome = await pullFile(root, fileInfo('e.txt', { data: Buffer.from('remote') }), current, deps, opts)
    assert.equal(outcome.kind, 'conflict')
    assert.equal(await readFile(join(root, 'e.txt'), 'utf8'), 'edited locally')
    assert.equal(source.requests.length, 0)
    assert.equal(deps.commit.conflicts.length, 1)
  })

  it('does not overwrite a new local file the index does not know', async () => {
    await writeFile(join(root, 'n.txt'), 'mine')
    const outcome = await pullFile(root, fileInfo('n.txt', { data: Buffer.from('theirs') }), undefined, depsWith(sourceWith({ 'n.txt': Buffer.from('theirs') })), opts)
    assert.equal(outcome.kind, 'conflict')
    assert.equal(await readFile(join(root, 'n.txt'), 'utf8'), 'mine')
  })

  it('hands the old version to the versioner before replacing it', async () => {
    const current = await scanned(root, 'v.txt', Buffer.from('old'))
    const deps = depsWith(sourceWith({ 'v.txt': Buffer.from('new') }), { versioner: new TrashCanVersioner({ cleanoutDays: 0 }) })
    await pullFile(root, fileInfo('v.txt', { data: Buffer.from('new') }), current, deps, opts)
    assert.equal(await readFile(join(root, 'v.txt'), 'utf8'), 'new')
    assert.equal(await readFile(join(root, '.stversions/v.txt'), 'utf8'), 'old')
  })
})

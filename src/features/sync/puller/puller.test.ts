/**
 * Puller runs: need lists with directories, files and deletions in Syncthing's order (a
 * rename moves no data: the new name is built from the old file before it is deleted), the
 * global bound on bytes in flight, progress events, per-file failures that do not stop the
 * run, a full disk that does, and the byte budget itself.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { ByteBudget } from './budget.js'
import { DiskFullError } from '../fs/errors.js'
import { Puller } from './puller.js'
import type { NeededFile } from './puller.js'
import { depsWith, device, fileInfo, finderOf, scanned, sourceWith, tempFolder, testBlockSize } from '../../../../test/support/sync/puller-fixtures.js'

const devices = [device(1)]

describe('Puller', () => {
  let root = ''
  beforeEach(async () => { root = await tempFolder('puller') })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('pulls a need list: directories first, a rename without moving data, deletes last', async () => {
    const moved = randomBytes(3 * testBlockSize)
    const old = await scanned(root, 'old-name.bin', moved)
    const fresh = randomBytes(2 * testBlockSize + 5)
    const source = sourceWith({ 'd/e/fresh.bin': fresh })
    const deps = depsWith(source, { localBlocks: finderOf([old]) })
    const need: NeededFile[] = [
      { file: { ...old, deleted: true, blocks: [], size: 0 }, current: old, devices },
      { file: fileInfo('d/e/fresh.bin', { data: fresh }), devices },
      { file: fileInfo('d/new-name.bin', { data: moved }), devices },
      { file: fileInfo('d/e', { type: 'directory' }), devices },
      { file: fileInfo('d', { type: 'directory' }), devices }
    ]
    const summary = await new Puller(root, deps).run(need)
    assert.deepEqual(summary.failed, [])
    assert.deepEqual(summary.deleted, ['old-name.bin'])
    assert.equal(summary.updated.length, 4)
    assert.deepEqual(await readdir(root), ['d'])
    assert.deepEqual(await readFile(join(root, 'd/new-name.bin')), moved)
    assert.deepEqual(await readFile(join(root, 'd/e/fresh.bin')), fresh)
    assert.ok(source.requests.every((r) => r.name === 'd/e/fresh.bin'), 'the renamed file is copied locally')
    assert.deepEqual(deps.commit.committed.slice(0, 2).map((f) => f.name), ['d', 'd/e'])
    const last = deps.commit.progress.at(-1)
    assert.equal(last?.filesDone, 5)
    assert.equal(last?.bytesDone, last?.bytesTotal)
  })

  it('keeps the bytes in flight within the global bound', async () => {
    const files: Record<string, Buffer> = {}
    const need: NeededFile[] = []
    for (let i = 0; i < 6; i++) {
      const data = randomBytes(8 * testBlockSize)
      files[`f${i}`] = data
      need.push({ file: fileInfo(`f${i}`, { data }), devices })
    }
    const source = sourceWith(files)
    source.delayMs = 2
    const summary = await new Puller(root, depsWith(source), { concurrency: 4, maxBytesInFlight: 3 * testBlockSize }).run(need)
    assert.equal(summary.updated.length, 6)
    assert.ok(source.maxInFlight <= 3 * testBlockSize, `max in flight ${source.maxInFlight}`)
    for (const [name, data] of Object.entries(files)) assert.deepEqual(await readFile(join(root, name)), data)
  })

  it('reports a failed file and carries on with the others', async () => {
    const good = Buffer.from('good')
    const need: NeededFile[] = [
      { file: fileInfo('../bad', { data: good }), devices },
      { file: fileInfo('missing', { data: Buffer.from('nobody has it') }), devices },
      { file: fileInfo('good', { data: good }), devices }
    ]
    const summary = await new Puller(root, depsWith(sourceWith({ good }))).run(need)
    assert.deepEqual(summary.updated, ['good'])
    assert.deepEqual(summary.failed.map((f) => [f.name, f.error.code]).sort(), [['../bad', 'INVALID_ARGUMENT'], ['missing', 'PEER_UNREACHABLE']])
    assert.deepEqual((await readdir(root)).sort(), ['good'])
  })

  it('stops everything on a full disk, leaving targets untouched', async () => {
    const current = await scanned(root, 'a', Buffer.from('old a'))
    const need: NeededFile[] = []
    const files: Record<string, Buffer> = {}
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      files[name] = randomBytes(2 * testBlockSize)
      need.push({ file: fileInfo(name, { data: files[name] }), current: name === 'a' ? current : undefined, devices })
    }
    const deps = depsWith(sourceWith(files), {
      writeAt: () => Promise.reject(Object.assign(new Error('EDQUOT: disk quota exceeded'), { code: 'EDQUOT' }))
    })
    await assert.rejects(new Puller(root, deps, { concurrency: 2 }).run(need), (err: unknown) => err instanceof DiskFullError && /disk full/.test(err.message))
    assert.deepEqual(await readdir(root), ['a'])
    assert.equal(await readFile(join(root, 'a'), 'utf8'), 'old a')
    assert.equal(deps.commit.committed.length, 0)
  })

  it('rejects with ABORTED when aborted', async () => {
    const ac = new AbortController()
    ac.abort()
    await assert.rejects(new Puller(root, depsWith(sourceWith({}))).run([{ file: fileInfo('x', { type: 'directory' }), devices }], { signal: ac.signal }),
      (err: unknown) => err instanceof WeftError && err.code === 'ABORTED')
    assert.deepEqual(await readdir(root), [])
  })
})

describe('ByteBudget', () => {
  it('serves waiters in order, lets an oversized request through alone, and aborts', async () => {
    const budget = new ByteBudget(10)
    await budget.acquire(8)
    const order: string[] = []
    const a = budget.acquire(5).then(() => order.push('a'))
    const b = budget.acquire(1).then(() => order.push('b'))
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(order, [])
    budget.release(8)
    await Promise.all([a, b])
    assert.deepEqual(order, ['a', 'b'])
    budget.release(5)
    budget.release(1)
    await budget.acquire(100)
    assert.equal(budget.inFlight, 10)
    const ac = new AbortController()
    const waiting = budget.acquire(1, ac.signal)
    ac.abort()
    await assert.rejects(waiting, (err: unknown) => err instanceof WeftError && err.code === 'ABORTED')
  })
})

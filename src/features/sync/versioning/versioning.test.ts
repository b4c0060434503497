/**
 * Versioning: the trash can (one copy per name in `.stversions/`, replaced by newer ones,
 * directory structure kept, cleanout by age, empty directories removed) and simple versioning
 * (tagged names `base~YYYYMMDD-HHMMSS.ext`, only the newest N kept); both refuse names that
 * escape the folder and a `.stversions` that is a symlink, and do nothing for a missing file.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { tempFolder } from '../../../../test/support/sync/puller-fixtures.js'
import { createVersioner, SimpleVersioner, TrashCanVersioner, taggedName, versionTag } from './index.js'

const day = 24 * 60 * 60 * 1000

describe('versioning', () => {
  let root = ''
  let outside = ''
  beforeEach(async () => {
    root = await tempFolder('versions')
    outside = await tempFolder('versions-out')
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  it('trash can: moves to .stversions/<name>, keeps structure, replaces the older copy', async () => {
    const v = new TrashCanVersioner({ cleanoutDays: 7 })
    await mkdir(join(root, 'a/b'), { recursive: true })
    await writeFile(join(root, 'a/b/f.txt'), 'one')
    await v.archive(root, 'a/b/f.txt')
    await writeFile(join(root, 'a/b/f.txt'), 'two')
    await v.archive(root, 'a/b/f.txt')
    assert.deepEqual(await readdir(join(root, 'a/b')), [])
    assert.deepEqual(await readdir(join(root, '.stversions/a/b')), ['f.txt'])
    assert.equal(await readFile(join(root, '.stversions/a/b/f.txt'), 'utf8'), 'two')
    await v.archive(root, 'a/b/not-there')
  })

  it('trash can: cleans out copies older than N days and the directories left empty', async () => {
    let now = new Date('2024-03-01T12:00:00Z')
    const v = new TrashCanVersioner({ cleanoutDays: 7, now: () => now })
    await mkdir(join(root, 'old'), { recursive: true })
    await writeFile(join(root, 'old/x'), 'x')
    await v.archive(root, 'old/x')
    now = new Date(now.getTime() + 5 * day)
    await writeFile(join(root, 'y'), 'y')
    await v.archive(root, 'y')
    await v.clean(root, new Date(now.getTime() + 3 * day))
    assert.deepEqual(await readdir(join(root, '.stversions')), ['y'])
    await new TrashCanVersioner({ cleanoutDays: 0 }).clean(root, new Date(now.getTime() + 100 * day))
    assert.deepEqual(await readdir(join(root, '.stversions')), ['y'])
  })

  it('simple: tagged names, structure kept, only the newest N versions kept', async () => {
    let now = new Date(2024, 0, 2, 3, 4, 5)
    const v = new SimpleVersioner({ keep: 2, now: () => now })
    await mkdir(join(root, 'docs'))
    for (const content of ['v1', 'v2', 'v3']) {
      await writeFile(join(root, 'docs/report.txt'), content)
      await v.archive(root, 'docs/report.txt')
      now = new Date(now.getTime() + 60_000)
    }
    const kept = (await readdir(join(root, '.stversions/docs'))).sort()
    assert.deepEqual(kept, ['report~20240102-030505.txt', 'report~20240102-030605.txt'])
    assert.equal(await readFile(join(root, '.stversions/docs', kept[1] ?? ''), 'utf8'), 'v3')
    assert.deepEqual(await readdir(join(root, 'docs')), [])
  })

  it('simple: names tagged like Syncthing', () => {
    const tag = versionTag(new Date(2024, 11, 31, 23, 59, 58))
    assert.equal(tag, '20241231-235958')
    assert.equal(taggedName('a/b.tar.gz', tag), 'a/b.tar~20241231-235958.gz')
    assert.equal(taggedName('.bashrc', tag), '~20241231-235958.bashrc')
    assert.equal(taggedName('Makefile', tag), 'Makefile~20241231-235958')
    assert.throws(() => new SimpleVersioner({ keep: 0 }), WeftError)
  })

  it('both refuse names escaping the folder and a symlinked .stversions', async () => {
    await writeFile(join(outside, 'secret'), 's')
    await symlink(outside, join(root, 'link'))
    for (const v of [new TrashCanVersioner({ cleanoutDays: 1 }), new SimpleVersioner({ keep: 1 })]) {
      for (const name of ['../secret', '/etc/passwd', '.stversions/x', 'link/secret', 'a/../../secret']) {
        await assert.rejects(v.archive(root, name), WeftError, name)
      }
    }
    await rm(join(root, 'link'))
    await symlink(outside, join(root, '.stversions'))
    await writeFile(join(root, 'f'), 'f')
    await assert.rejects(new TrashCanVersioner({ cleanoutDays: 1 }).archive(root, 'f'), (err: unknown) => err instanceof WeftError && err.code === 'FORBIDDEN')
    assert.equal(await readFile(join(root, 'f'), 'utf8'), 'f')
    assert.deepEqual(await readdir(outside), ['secret'])
  })

  it('createVersioner follows the folder config', () => {
    assert.equal(createVersioner({ type: 'none' }), undefined)
    assert.ok(createVersioner({ type: 'trashcan', cleanoutDays: 3 }) instanceof TrashCanVersioner)
    assert.ok(createVersioner({ type: 'simple', keep: 5 }) instanceof SimpleVersioner)
  })
})

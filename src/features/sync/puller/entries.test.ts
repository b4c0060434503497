/**
 * Names from peers (refused before any file system call: `..`, absolute, NUL, internal,
 * temporary, non-canonical, through a symlinked parent; nothing written outside the folder),
 * directories, empty files, symlinks (target stored as text, never followed) and deletions
 * (refused when the entry changed on disk since the scan; directories only when empty).
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { lstat, mkdir, readFile, readdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { TrashCanVersioner } from '../versioning/trashcan.js'
import { nameProblem } from '../fs/names.js'
import { pullFile } from './puller.js'
import { depsWith, device, fileInfo, scanned, sourceWith, tempFolder } from '../../../../test/support/sync/puller-fixtures.js'

const opts = { devices: [device(1)] }

function isCode (code: string) {
  return (err: unknown): boolean => err instanceof WeftError && err.code === code
}

describe('names from peers', () => {
  it('refuses unsafe and non-canonical names', () => {
    for (const name of ['', '/etc/passwd', '../x', 'a/../../x', 'a/..', './a', 'a/./b', 'a//b', 'a/', 'a\0b',
      '.stversions/x', '.stfolder', '.STIGNORE', '.weft/key', 'd/.syncthing.f.tmp', 'e\u0301']) {
      assert.notEqual(nameProblem(name, 'linux'), undefined, JSON.stringify(name))
    }
    assert.notEqual(nameProblem('a\\b', 'win32'), undefined)
  })

  it('accepts ordinary names, internal names below the root and POSIX backslashes', () => {
    for (const name of ['a', 'a/b/c.txt', '.hidden', 'x/.stversions', '..a', 'a..b', 'a\\b', '\u00e9']) {
      assert.equal(nameProblem(name, 'linux'), undefined, JSON.stringify(name))
    }
  })
})

describe('pullFile: entries and safety', () => {
  let root = ''
  let outside = ''
  beforeEach(async () => {
    root = await tempFolder('entries')
    outside = await tempFolder('outside')
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  it('refuses dangerous names before touching the disk', async () => {
    const source = sourceWith({})
    for (const name of ['../escape', '/abs', 'a\0b', '.stversions/x', '.stfolder', 'a/../b']) {
      await assert.rejects(pullFile(root, fileInfo(name, { data: Buffer.from('x') }), undefined, depsWith(source), opts), isCode('INVALID_ARGUMENT'), name)
      await assert.rejects(pullFile(root, fileInfo(name, { type: 'directory' }), undefined, depsWith(source), opts), isCode('INVALID_ARGUMENT'), name)
    }
    assert.equal(source.requests.length, 0)
    assert.deepEqual(await readdir(root), [])
    assert.deepEqual(await readdir(outside), [])
  })

  it('never writes, links or deletes through a symlinked parent', async () => {
    await symlink(outside, join(root, 'link'))
    await writeFile(join(outside, 'victim'), 'keep')
    const data = Buffer.from('evil')
    const deps = depsWith(sourceWith({ 'link/evil': data }))
    await assert.rejects(pullFile(root, fileInfo('link/evil', { data }), undefined, deps, opts), isCode('FORBIDDEN'))
    await assert.rejects(pullFile(root, fileInfo('link/sub', { type: 'directory' }), undefined, deps, opts), isCode('FORBIDDEN'))
    await assert.rejects(pullFile(root, fileInfo('link/s', { type: 'symlink', symlinkTarget: '/etc' }), undefined, deps, opts), isCode('FORBIDDEN'))
    const victim = fileInfo('link/victim', { deleted: true })
    await assert.rejects(pullFile(root, victim, { ...victim, deleted: false }, deps, opts), isCode('FORBIDDEN'))
    assert.deepEqual(await readdir(outside), ['victim'])
    assert.equal(await readFile(join(outside, 'victim'), 'utf8'), 'keep')
  })

  it('creates directories with their permissions, and empty files', async () => {
    const deps = depsWith(sourceWith({}))
    await pullFile(root, fileInfo('d', { type: 'directory', permissions: 0o750 }), undefined, deps, opts)
    await pullFile(root, fileInfo('d/empty', { permissions: 0o600 }), undefined, deps, opts)
    assert.ok((await lstat(join(root, 'd'))).isDirectory())
    assert.equal((await stat(join(root, 'd'))).mode & 0o777, 0o750)
    const st = await stat(join(root, 'd/empty'))
    assert.ok(st.isFile())
    assert.equal(st.size, 0)
    assert.equal(st.mode & 0o777, 0o600)
    assert.deepEqual(deps.commit.committed.map((f) => f.name), ['d', 'd/empty'])
  })

  it('creates a symlink with its target as text, not following it', async () => {
    const target = join(outside, 'not-there', 'x')
    const deps = depsWith(sourceWith({}))
    const outcome = await pullFile(root, fileInfo('sub/ln', { type: 'symlink', symlinkTarget: target }), undefined, deps, opts)
    assert.equal(outcome.kind, 'updated')
    assert.equal(await readlink(join(root, 'sub/ln')), target)
    assert.deepEqual(await readdir(outside), [])
    const relative = '../../etc/passwd'
    const current = deps.commit.committed[0]
    await pullFile(root, fileInfo('sub/ln', { type: 'symlink', symlinkTarget: relative }), current, deps, opts)
    assert.equal(await readlink(join(root, 'sub/ln')), relative)
    assert.deepEqual((await readdir(join(root, 'sub'))), ['ln'])
  })

  it('deletes a file still as scanned, archiving it with a versioner', async () => {
    const current = await scanned(root, 'gone.txt', Buffer.from('bye'))
    const deps = depsWith(sourceWith({}), { versioner: new TrashCanVersioner({ cleanoutDays: 0 }) })
    const outcome = await pullFile(root, { ...current, deleted: true, blocks: [], size: 0 }, current, deps, opts)
    assert.equal(outcome.kind, 'deleted')
    assert.deepEqual(await readdir(root), ['.stversions'])
    assert.equal(await readFile(join(root, '.stversions/gone.txt'), 'utf8'), 'bye')
    assert.equal(deps.commit.committed[0]?.deleted, true)
  })

  it('refuses to delete a file modified on disk after the scan', async () => {
    const current = await scanned(root, 'm.txt', Buffer.from('v1'))
    await writeFile(join(root, 'm.txt'), 'v2 edited')
    const deps = depsWith(sourceWith({}))
    const outcome = await pullFile(root, { ...current, deleted: true }, current, deps, opts)
    assert.equal(outcome.kind, 'conflict')
    assert.equal(await readFile(join(root, 'm.txt'), 'utf8'), 'v2 edited')
    assert.equal(deps.commit.committed.length, 0)
    assert.equal(deps.commit.conflicts[0]?.name, 'm.txt')
  })

  it('refuses to delete an unknown local file, and a directory that is not empty', async () => {
    await writeFile(join(root, 'new.txt'), 'local')
    await mkdir(join(root, 'full'))
    await writeFile(join(root, 'full/keep'), 'x')
    const dir = fileInfo('full', { type: 'directory' })
    const deps = depsWith(sourceWith({}))
    assert.equal((await pullFile(root, fileInfo('new.txt', { deleted: true }), undefined, deps, opts)).kind, 'conflict')
    assert.equal((await pullFile(root, { ...dir, deleted: true }, dir, deps, opts)).kind, 'conflict')
    assert.deepEqual((await readdir(root)).sort(), ['full', 'new.txt'])
    await rm(join(root, 'full/keep'))
    await writeFile(join(root, 'full/.syncthing.x.tmp'), 'leftover')
    assert.equal((await pullFile(root, { ...dir, deleted: true }, dir, deps, opts)).kind, 'deleted')
    assert.deepEqual(await readdir(root), ['new.txt'])
  })

  it('treats a delete of something already gone as done', async () => {
    const outcome = await pullFile(root, fileInfo('never/there', { deleted: true }), undefined, depsWith(sourceWith({})), opts)
    assert.equal(outcome.kind, 'deleted')
  })
})

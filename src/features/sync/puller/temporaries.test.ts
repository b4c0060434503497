/**
 * Stale temporary files: the target of a temporary name (none for a hashed one), the rule
 * (not needed any more, or older than a day) and the removal on a real directory, where a
 * needed file's temporary stays for its resume and one already gone is no failure.
 */
import { describe, it, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { keepTemporariesMs, removeStaleTemporaries, staleTemporaries, temporaryTarget } from './temporaries.js'
import { tempBaseName } from '../fs/names.js'
import { tempFolder } from '../../../../test/support/sync/puller-fixtures.js'

describe('temporary files', () => {
  let root = ''
  afterEach(async () => { if (root !== '') await rm(root, { recursive: true, force: true }) })

  it('name the file they are for, except a hashed long name', () => {
    assert.equal(temporaryTarget('.syncthing.a.bin.tmp'), 'a.bin')
    assert.equal(temporaryTarget('d/e/.syncthing.ü x.tmp'), 'd/e/ü x')
    assert.equal(temporaryTarget(`d/${tempBaseName('x'.repeat(250))}`), undefined)
    assert.equal(temporaryTarget('d/.syncthing..tmp'), undefined)
    assert.equal(temporaryTarget('d/plain.tmp'), undefined)
  })

  it('are stale when their file is not needed, or when older than a day', () => {
    const ages: Record<string, number> = { '.syncthing.a.tmp': 1000, '.syncthing.b.tmp': 1000, [tempBaseName('y'.repeat(250))]: 1000, '.syncthing.old.tmp': keepTemporariesMs + 1 }
    const stale = staleTemporaries([...Object.keys(ages), '.syncthing.gone.tmp'], (n) => ages[n], { stillNeeded: (name) => name !== 'a' })
    assert.deepEqual(stale, ['.syncthing.a.tmp', '.syncthing.old.tmp'])
  })

  it('are removed from disk when stale; a needed one stays for its resume', async () => {
    root = await tempFolder('temps')
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd/.syncthing.done.tmp'), 'x')
    await writeFile(join(root, 'd/.syncthing.wanted.tmp'), 'x')
    await writeFile(join(root, '.syncthing.ancient.tmp'), 'x')
    const old = new Date(Date.now() - keepTemporariesMs - 60_000)
    await utimes(join(root, '.syncthing.ancient.tmp'), old, old)
    const removed = await removeStaleTemporaries(root, ['d/.syncthing.done.tmp', 'd/.syncthing.wanted.tmp', '.syncthing.ancient.tmp', 'd/.syncthing.vanished.tmp'], {
      stillNeeded: (name) => name === 'd/wanted' || name === 'ancient'
    })
    assert.deepEqual(removed.sort(), ['.syncthing.ancient.tmp', 'd/.syncthing.done.tmp'])
    assert.deepEqual(await readdir(join(root, 'd')), ['.syncthing.wanted.tmp'])
  })
})

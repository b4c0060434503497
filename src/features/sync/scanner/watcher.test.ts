/**
 * FolderWatcher on a real temporary folder: a created file is reported once the folder is
 * quiet, several changes arrive in one batch, internal and temporary names are dropped, and
 * nothing is reported after stop().
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { compileIgnores } from '../ignore/ignores.js'
import { FolderWatcher } from './watcher.js'
import type { WatchBatch } from './watcher.js'

/** Waits until `check` holds, polling, or fails after `ms`. */
async function until (check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) assert.fail('timed out waiting for the watcher')
    await sleep(20)
  }
}

describe('FolderWatcher', () => {
  let root = ''
  let batches: WatchBatch[] = []
  let watcher: FolderWatcher | undefined
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'weft-watch-'))
    await mkdir(join(root, '.stfolder'))
    batches = []
  })
  afterEach(async () => {
    await watcher?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('reports a created file after the quiet period, in one batch with other changes', async () => {
    watcher = new FolderWatcher({ root, quietMs: 150, onChange: (b) => batches.push(b) })
    await watcher.start()
    await writeFile(join(root, 'new.txt'), 'hello')
    await mkdir(join(root, 'dir'))
    await writeFile(join(root, 'dir', 'nested'), 'x')
    // A new directory is reported as itself (its contents may race the backend's new watch);
    // scanning the reported paths recursively covers them.
    const all = (): string[] => batches.flatMap((b) => b.paths)
    await until(() => all().includes('new.txt') && all().includes('dir'))
    assert.ok(batches.length <= 2, `changes close together are batched: ${JSON.stringify(batches)}`)
  })

  it('drops internal names, temporary files and ignored paths; flags .stignore changes', async () => {
    const ignores = await compileIgnores('*.log')
    watcher = new FolderWatcher({ root, quietMs: 100, ignores: () => ignores, onChange: (b) => batches.push(b) })
    await watcher.start()
    await writeFile(join(root, '.stfolder', 'x'), 'x')
    await writeFile(join(root, '.syncthing.f.tmp'), 't')
    await writeFile(join(root, 'app.log'), 'l')
    await writeFile(join(root, '.stignore'), '*.log')
    await writeFile(join(root, 'real'), 'r')
    await until(() => batches.some((b) => b.paths.includes('real')))
    await sleep(200)
    assert.deepEqual([...new Set(batches.flatMap((b) => b.paths))], ['real'])
    assert.ok(batches.some((b) => b.ignoreFileChanged))
  })

  it('reports nothing after stop()', async () => {
    watcher = new FolderWatcher({ root, quietMs: 50, onChange: (b) => batches.push(b) })
    await watcher.start()
    await watcher.stop()
    await writeFile(join(root, 'late'), 'x')
    await sleep(200)
    assert.deepEqual(batches, [])
  })

  it('reports within the capped delay while changes keep coming', async () => {
    watcher = new FolderWatcher({ root, quietMs: 300, maxDelayMs: 400, onChange: (b) => batches.push(b) })
    await watcher.start()
    const start = Date.now()
    for (let i = 0; batches.length === 0 && Date.now() - start < 3000; i++) {
      await writeFile(join(root, `f${i}`), 'x')
      await sleep(50)
    }
    assert.ok(batches.length > 0, 'a batch arrives although the folder never goes quiet')
    assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`)
  })
})

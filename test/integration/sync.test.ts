/**
 * Folder sync between real daemons: files created, changed, deleted and renamed on either side
 * arrive identical on the other (renames move no data), a concurrent edit leaves the same
 * conflict copy on both, .stignore keeps files home, and a folder whose marker disappears stops
 * without deleting anything elsewhere.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rename, rm, writeFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface FolderStatus { state: string, error: string | null, need: { files: number, deletes: number }, bytesFromPeers: number, peers: string[], indexPending: string[] }

/** What the test's .stignore keeps on each device (and .stignore itself). */
const localOnly = new Set(['.stignore', 'scratch.tmp', 'build'])

/** name → sha256 of every synced file under root (temp files included, so leftovers show). */
async function tree (root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  async function walk (dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      const name = relative(root, path)
      if (name === '.stfolder' || localOnly.has(name)) continue
      if (entry.isDirectory()) { out[name + '/'] = 'dir'; await walk(path) } else out[name] = createHash('sha256').update(await readFile(path)).digest('hex')
    }
  }
  await walk(root)
  return out
}

async function inSync (a: string, b: string, what: string): Promise<Record<string, string>> {
  return await waitFor(what, async () => {
    const [ta, tb] = await Promise.all([tree(a), tree(b)])
    return JSON.stringify(ta) === JSON.stringify(tb) ? ta : undefined
  }, 60_000, 300)
}

describe('folder sync between two devices', () => {
  let net: Testnet
  let a: TestDaemon
  let b: TestDaemon
  let fa: string
  let fb: string
  before(async () => {
    net = await startTestnet(2, { names: ['laptop', 'desktop'] })
    ;[a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'home')
    await waitForOnline(a, [b.deviceId])
    fa = join(a.home, 'Sync')
    fb = join(b.home, 'Sync')
    await mkdir(join(fa, 'docs/deep'), { recursive: true })
    await mkdir(join(fa, 'empty-dir'), { recursive: true })
    await writeFile(join(fa, 'hello.txt'), 'hello\n')
    await writeFile(join(fa, 'empty.txt'), '')
    await writeFile(join(fa, 'docs/deep/big.bin'), randomBytes(3 * 1024 * 1024 + 17))
    await writeFile(join(fa, 'café ☃.txt'.normalize('NFC')), 'unicode\n')
    await writeFile(join(fa, '.stignore'), '*.tmp\n/build\n')
    await writeFile(join(fa, 'scratch.tmp'), 'not for sync\n')
    await mkdir(join(fa, 'build'))
    await writeFile(join(fa, 'build/out.o'), 'not for sync either\n')
    await a.json(['folder', 'add', fa, '--net', 'home', '--id', 'sync-1'])
    await b.json(['folder', 'add', fb, '--net', 'home', '--id', 'sync-1'])
  })
  after(async () => { await net.stop() })

  it('creates files, empty files, empty dirs and unicode names identically; ignored files stay home', async () => {
    const expected = await waitFor('the receiver to have every file', async () => {
      const t = await tree(fb)
      return t['docs/deep/big.bin'] !== undefined && t['café ☃.txt'] !== undefined && t['empty-dir/'] !== undefined ? t : undefined
    }, 60_000, 300)
    const source = await tree(fa)
    for (const name of ['hello.txt', 'empty.txt', 'docs/deep/big.bin', 'café ☃.txt', 'empty-dir/', 'docs/', 'docs/deep/']) {
      assert.equal(expected[name], source[name], name)
    }
    // --wait with stderr not a terminal (a log, CI) prints whole progress lines, not nothing.
    const waited = await b.cli(['folder', 'status', 'sync-1', '--wait'])
    assert.equal(waited.code, 0, waited.stderr)
    assert.match(waited.stderr, /^\S+Z sync-1: idle: need 0 files/m)
    const names = await readdir(fb)
    assert.ok(!names.includes('scratch.tmp'), 'ignored by *.tmp')
    assert.ok(!names.includes('build'), 'ignored by /build')
    assert.ok(!names.includes('.stignore'), '.stignore itself is not synced')
    assert.ok(!Object.keys(expected).some((n) => n.includes('.syncthing.')), 'no temporary files left')
    const status = await b.json<FolderStatus>(['folder', 'status', 'sync-1'])
    assert.equal(status.state, 'idle')
    assert.equal(status.need.files, 0)
    // In sync with what the member has: its file list arrived on this connection.
    assert.deepEqual(status.peers, [a.deviceId])
    assert.deepEqual(status.indexPending, [])
  })

  it('modifications and deletes flow both ways', async () => {
    await writeFile(join(fb, 'hello.txt'), 'hello from the desktop\n')
    await waitFor('the change on a', async () => (await readFile(join(fa, 'hello.txt'), 'utf8')) === 'hello from the desktop\n', 60_000, 300)
    await rm(join(fa, 'empty.txt'))
    await waitFor('the delete on b', async () => { try { await stat(join(fb, 'empty.txt')); return false } catch { return true } }, 60_000, 300)
    await writeFile(join(fb, 'scratch.tmp'), 'local only\n')
    await writeFile(join(fb, 'new-on-b.txt'), 'new\n')
    await waitFor('new-on-b on a', async () => (await tree(fa))['new-on-b.txt'] !== undefined, 60_000, 300)
    assert.equal(await readFile(join(fa, 'scratch.tmp'), 'utf8'), 'not for sync\n', 'an ignored file is neither sent nor replaced')
  })

  it('a rename moves no data', async () => {
    const before = await b.json<FolderStatus>(['folder', 'status', 'sync-1'])
    await rename(join(fa, 'docs/deep/big.bin'), join(fa, 'docs/moved.bin'))
    await waitFor('the rename on b', async () => { const t = await tree(fb); return t['docs/moved.bin'] !== undefined && t['docs/deep/big.bin'] === undefined }, 60_000, 300)
    const afterRename = await b.json<FolderStatus>(['folder', 'status', 'sync-1'])
    assert.ok(afterRename.bytesFromPeers - before.bytesFromPeers < 1024 * 1024, `received ${afterRename.bytesFromPeers - before.bytesFromPeers} bytes for a 3 MiB rename`)
    const [ta, tb] = [await tree(fa), await tree(fb)]
    assert.equal(tb['docs/moved.bin'], ta['docs/moved.bin'])
  })

  it('a concurrent edit leaves the same winner and the same conflict copy on both', async () => {
    await a.json(['folder', 'pause', 'sync-1'])
    await b.json(['folder', 'pause', 'sync-1'])
    await writeFile(join(fa, 'shared.txt'), 'version from laptop\n')
    await writeFile(join(fb, 'shared.txt'), 'version from desktop, written later\n')
    await a.json(['folder', 'resume', 'sync-1'])
    await b.json(['folder', 'resume', 'sync-1'])
    const final = await waitFor('one conflict copy on both sides', async () => {
      const [ta, tb] = [await tree(fa), await tree(fb)]
      const copies = Object.keys(ta).filter((n) => /^shared\.sync-conflict-\d{8}-\d{6}-[A-Z2-7]{7}\.txt$/.test(n))
      return JSON.stringify(ta) === JSON.stringify(tb) && copies.length === 1 ? { tree: ta, copy: copies[0]! } : undefined
    }, 90_000, 500)
    const contents = [await readFile(join(fa, 'shared.txt'), 'utf8'), await readFile(join(fa, final.copy), 'utf8')].sort()
    assert.deepEqual(contents, ['version from desktop, written later\n', 'version from laptop\n'], 'both versions survive, one as the copy')
    const conflicts = await b.json<Array<{ name: string }>>(['folder', 'conflicts', 'sync-1'])
    await waitFor('the conflict listed', async () => (await b.json<Array<{ name: string }>>(['folder', 'conflicts', 'sync-1'])).some((c) => c.name === final.copy) || undefined, 30_000, 300)
    assert.ok(Array.isArray(conflicts))
  })

  it('a folder whose marker disappears stops without deleting anything on the other device', async () => {
    const before = await inSync(fa, fb, 'both in sync before the unmount')
    // Simulate an unmounted disk: the folder is empty, marker and all.
    const away = `${fa}-unmounted`
    await rename(fa, away)
    await mkdir(fa)
    await a.json(['folder', 'rescan', 'sync-1'])
    await waitFor('the folder to stop in error', async () => (await a.json<FolderStatus>(['folder', 'status', 'sync-1'])).state === 'error', 30_000, 300)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    assert.deepEqual(await tree(fb), before, 'nothing changed on the other device')
    const status = await a.json<FolderStatus>(['folder', 'status', 'sync-1'])
    assert.match(status.error ?? '', /stfolder|marker|missing|not/i)
    await rm(fa, { recursive: true })
    await rename(away, fa)
  })

  it('names, not IDs: an offer names the member and the network to pass to --net, status names the peers', async () => {
    const [home] = await a.json<Array<{ id: string, name: string }>>(['net', 'ls'])
    assert.equal(home?.name, 'home')
    const notes = join(a.home, 'Notes')
    await mkdir(notes)
    const added = await a.cli(['folder', 'add', notes, '--net', home.id, '--id', 'notes-1'])
    assert.equal(added.code, 0, added.stderr)
    assert.match(added.stdout, /shared with network home\nother members accept it with: weft folder add PATH --net home --id notes-1\n/, 'the network by name, though given by ID')
    const offer = await waitFor('desktop is offered notes-1', async () => {
      const ls = await b.cli(['folder', 'ls'])
      return ls.stdout.split('\n').find((l) => l.startsWith('offered: notes-1'))
    }, 30_000, 200)
    assert.equal(offer, `offered: notes-1 ("notes-1") by laptop (${a.deviceId.slice(0, 7)}) in network home; accept with: weft folder add PATH --net home --id notes-1`)
    const status = await waitFor('laptop syncs sync-1 with desktop', async () => {
      const out = (await a.cli(['folder', 'status', 'sync-1'])).stdout
      return out.includes('desktop (') ? out : undefined
    }, 30_000, 200)
    assert.match(status, new RegExp(`peers +desktop \\(${b.deviceId.slice(0, 7)}\\)`))
  })
})

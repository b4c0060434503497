/**
 * A real Syncthing (1.19) is a weft folder peer over BEP on TCP+TLS, whichever side dials:
 * files created, modified, deleted and renamed on either side arrive identical on the other
 * (compared by SHA-256), a concurrent edit leaves the same conflict copies on both, restarts
 * exchange only changed records (delta indexes), 500 MiB of mixed sizes syncs each way, and a
 * folder shared with a weft member and a Syncthing device at once carries changes among all.
 * Skipped, with one line saying why, when `syncthing` cannot run here.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tmpdir } from 'node:os'
import { formNetwork, startTestnet, waitForOnline } from '../../src/testing/testnet.js'
import type { Testnet, TestDaemon } from '../../src/testing/testnet.js'
import { SyncthingInstance, freeLoopbackPort, syncthingUnavailable } from '../../src/testing/syncthing.js'
import { waitFor } from '../../src/testing/wait.js'
import { pairWithSyncthing, sameTrees, syncthingPeer, writeMixedSet } from '../../src/testing/syncthing-pair.js'
import type { SyncthingPair } from '../../src/testing/syncthing-pair.js'

const unavailable = await syncthingUnavailable()
if (unavailable !== undefined) console.log(`# Syncthing interop tests skipped: ${unavailable}`)

describe('a real Syncthing as a folder peer (weft dials)', { skip: unavailable !== undefined }, () => {
  let net: Testnet
  let weft: TestDaemon
  let pair: SyncthingPair
  let stHome: string
  before(async () => {
    net = await startTestnet(1, { names: ['weft'] })
    weft = net.daemons[0] as TestDaemon
    stHome = await mkdtemp(join(tmpdir(), 'weft-st-home-'))
    pair = await pairWithSyncthing(weft, { weftDials: true, syncthing: await SyncthingInstance.start({ name: 'st', home: stHome }) })
  })
  after(async () => {
    if (process.env.WEFT_TEST_LOGS === '1') console.log(pair?.st.log, await readFile(join(weft.home, 'weft.log'), 'utf8'))
    await pair?.st.stop()
    await net?.stop()
    await rm(stHome, { recursive: true, force: true })
  })

  it('files created on each side appear on the other', async () => {
    await mkdir(join(pair.weftDir, 'from-weft/sub'), { recursive: true })
    await writeFile(join(pair.weftDir, 'from-weft/sub/a.bin'), randomBytes(300_000))
    await writeFile(join(pair.weftDir, 'from-weft/empty.txt'), '')
    await weft.json(['folder', 'rescan', pair.folder])
    await mkdir(join(pair.stDir, 'from-st'), { recursive: true })
    await writeFile(join(pair.stDir, 'from-st/b.bin'), randomBytes(1_000_000))
    await writeFile(join(pair.stDir, 'from-st/empty.txt'), '')
    await pair.st.scan(pair.folder)
    const tree = await sameTrees(pair.weftDir, pair.stDir, 'both folders to hold both sides\' files')
    assert.ok(tree['from-weft/sub/a.bin'] !== undefined && tree['from-st/b.bin'] !== undefined)
    const peer = await syncthingPeer(weft, pair.st.deviceId)
    assert.equal(peer.connected, true)
    assert.match(peer.peer?.client ?? '', /^syncthing v1\./)
  })

  it('modifications, renames and deletes propagate both ways (a rename moves no data)', async () => {
    await writeFile(join(pair.weftDir, 'from-weft/sub/a.bin'), randomBytes(200_000))
    await weft.json(['folder', 'rescan', pair.folder])
    await writeFile(join(pair.stDir, 'from-st/b.bin'), randomBytes(900_000))
    await pair.st.scan(pair.folder)
    await sameTrees(pair.weftDir, pair.stDir, 'modifications to arrive')

    const before = (await weft.json<{ bytesFromPeers: number }>(['folder', 'status', pair.folder])).bytesFromPeers
    await rename(join(pair.stDir, 'from-st/b.bin'), join(pair.stDir, 'from-st/b-renamed.bin'))
    await pair.st.scan(pair.folder)
    await rename(join(pair.weftDir, 'from-weft/sub/a.bin'), join(pair.weftDir, 'from-weft/a-moved.bin'))
    await weft.json(['folder', 'rescan', pair.folder])
    const tree = await sameTrees(pair.weftDir, pair.stDir, 'renames to arrive')
    assert.ok(tree['from-st/b-renamed.bin'] !== undefined && tree['from-st/b.bin'] === undefined)
    assert.ok(tree['from-weft/a-moved.bin'] !== undefined && tree['from-weft/sub/a.bin'] === undefined)
    const after = (await weft.json<{ bytesFromPeers: number }>(['folder', 'status', pair.folder])).bytesFromPeers
    assert.equal(after - before, 0, 'weft built the renamed file from blocks it had')

    await rm(join(pair.stDir, 'from-st/b-renamed.bin'))
    await pair.st.scan(pair.folder)
    await rm(join(pair.weftDir, 'from-weft/sub'), { recursive: true })
    await weft.json(['folder', 'rescan', pair.folder])
    const final = await sameTrees(pair.weftDir, pair.stDir, 'deletes to arrive')
    assert.equal(final['from-st/b-renamed.bin'], undefined)
    assert.equal(final['from-weft/sub/'], undefined)
  })

  it('a concurrent edit yields the same conflict copy on both sides, named as Syncthing names them', async () => {
    await writeFile(join(pair.weftDir, 'c1.txt'), 'base 1\n')
    await writeFile(join(pair.weftDir, 'c2.txt'), 'base 2\n')
    await weft.json(['folder', 'rescan', pair.folder])
    await sameTrees(pair.weftDir, pair.stDir, 'the base versions to arrive')
    // Cut the link (Syncthing pauses weft), edit both sides, then reconnect.
    await pair.st.api('PATCH', `/rest/config/devices/${pair.weftStId}`, { paused: true })
    await waitFor('the link to drop', async () => !(await syncthingPeer(weft, pair.st.deviceId)).connected, 30_000, 200)
    const now = Date.now() / 1000
    const edit = async (dir: string, name: string, text: string, mtime: number): Promise<void> => {
      await writeFile(join(dir, name), text)
      await utimes(join(dir, name), mtime, mtime)
    }
    // c1: weft's edit is newer and wins; c2: Syncthing's is newer and wins.
    await edit(pair.weftDir, 'c1.txt', 'weft 1\n', now + 60)
    await edit(pair.stDir, 'c1.txt', 'syncthing 1\n', now)
    await edit(pair.weftDir, 'c2.txt', 'weft 2\n', now)
    await edit(pair.stDir, 'c2.txt', 'syncthing 2\n', now + 60)
    await weft.json(['folder', 'rescan', pair.folder, '--wait'])
    await pair.st.scan(pair.folder)
    await waitFor('Syncthing to scan its edits', async () => (await pair.st.folderStatus(pair.folder)).state === 'idle', 30_000, 200)
    await pair.st.api('PATCH', `/rest/config/devices/${pair.weftStId}`, { paused: false })
    const tree = await waitFor('both conflict copies on both sides', async () => {
      const t = await sameTrees(pair.weftDir, pair.stDir, 'the folders to converge')
      return Object.keys(t).filter((n) => n.includes('.sync-conflict-')).length === 2 ? t : undefined
    }, 120_000, 500)
    const copies = Object.keys(tree).filter((n) => n.includes('.sync-conflict-')).sort()
    const weftShort = weft.deviceId.slice(0, 7)
    const stShort = pair.st.deviceId.slice(0, 7)
    const c1 = copies.find((n) => n.startsWith('c1.'))
    const c2 = copies.find((n) => n.startsWith('c2.'))
    assert.match(c1 ?? '', new RegExp(`^c1\\.sync-conflict-\\d{8}-\\d{6}-${weftShort}\\.txt$`), 'Syncthing kept its losing c1 as a copy named after weft, the winner')
    assert.match(c2 ?? '', new RegExp(`^c2\\.sync-conflict-\\d{8}-\\d{6}-${stShort}\\.txt$`), 'weft kept its losing c2 as a copy named after Syncthing, the winner')
    for (const dir of [pair.weftDir, pair.stDir]) {
      assert.equal(await readFile(join(dir, 'c1.txt'), 'utf8'), 'weft 1\n')
      assert.equal(await readFile(join(dir, c1 ?? ''), 'utf8'), 'syncthing 1\n')
      assert.equal(await readFile(join(dir, 'c2.txt'), 'utf8'), 'syncthing 2\n')
      assert.equal(await readFile(join(dir, c2 ?? ''), 'utf8'), 'weft 2\n')
    }
  })

  it('a modification beats a concurrent delete on both sides, as in Syncthing 1.x', async () => {
    await writeFile(join(pair.weftDir, 'd1.txt'), 'base d1\n')
    await writeFile(join(pair.weftDir, 'd2.txt'), 'base d2\n')
    await weft.json(['folder', 'rescan', pair.folder, '--wait'])
    await sameTrees(pair.weftDir, pair.stDir, 'the base versions to arrive')
    await pair.st.api('PATCH', `/rest/config/devices/${pair.weftStId}`, { paused: true })
    await waitFor('the link to drop', async () => !(await syncthingPeer(weft, pair.st.deviceId)).connected, 30_000, 200)
    const old = Date.now() / 1000 - 30
    // d1: weft deletes, Syncthing edits. d2: weft edits (an older mtime than Syncthing's delete, which records the time of deletion), Syncthing deletes.
    await rm(join(pair.weftDir, 'd1.txt'))
    await writeFile(join(pair.stDir, 'd1.txt'), 'syncthing kept d1\n')
    await writeFile(join(pair.weftDir, 'd2.txt'), 'weft kept d2\n')
    await utimes(join(pair.weftDir, 'd2.txt'), old, old)
    await rm(join(pair.stDir, 'd2.txt'))
    await weft.json(['folder', 'rescan', pair.folder, '--wait'])
    await pair.st.scan(pair.folder)
    await waitFor('Syncthing to scan its changes', async () => (await pair.st.folderStatus(pair.folder)).state === 'idle', 30_000, 200)
    await pair.st.api('PATCH', `/rest/config/devices/${pair.weftStId}`, { paused: false })
    await waitFor('both modifications on both sides', async () => {
      const t = await sameTrees(pair.weftDir, pair.stDir, 'the folders to converge')
      return t['d1.txt'] !== undefined && t['d2.txt'] !== undefined ? t : undefined
    }, 120_000, 500)
    for (const dir of [pair.weftDir, pair.stDir]) {
      assert.equal(await readFile(join(dir, 'd1.txt'), 'utf8'), 'syncthing kept d1\n')
      assert.equal(await readFile(join(dir, 'd2.txt'), 'utf8'), 'weft kept d2\n')
    }
  })

  it('a restart of either side resumes with delta indexes: only changed records cross', async () => {
    await mkdir(join(pair.stDir, 'many'), { recursive: true })
    for (let i = 0; i < 200; i++) await writeFile(join(pair.stDir, `many/f${i}.txt`), `file ${i}\n`)
    await pair.st.scan(pair.folder)
    const synced = await sameTrees(pair.weftDir, pair.stDir, '200 files to arrive')
    const total = Object.keys(synced).length
    assert.ok(total > 200)

    // weft restarts; meanwhile one file is added on Syncthing (at the top, so no directory record changes).
    await weft.stop()
    await writeFile(join(pair.stDir, 'while-weft-was-down.txt'), 'new\n')
    await pair.st.scan(pair.folder)
    await waitFor('Syncthing to scan', async () => (await pair.st.folderStatus(pair.folder)).state === 'idle', 30_000, 200)
    await weft.start()
    await sameTrees(pair.weftDir, pair.stDir, 'the change made while weft was down to arrive')
    // Each side announces what it pulled as its own new record: one record each way, not all of them.
    const afterWeft = await waitFor('weft to get the new record and announce its own copy of it', async () => {
      const p = await syncthingPeer(weft, pair.st.deviceId)
      return p.connected && (p.stats?.recordsIn ?? 0) >= 1 && (p.stats?.recordsOut ?? 0) >= 1 ? p : undefined
    }, 60_000, 200)
    assert.equal(afterWeft.stats?.recordsIn, 1, `weft received only the one new record, not the ${total + 1} it already had`)
    assert.equal(afterWeft.stats?.recordsOut, 1, `weft sent only its record of the file it pulled, not all ${total + 1}`)

    // Syncthing restarts (same home and port); meanwhile one file changes on weft.
    const port = Number(pair.st.address.split(':').pop())
    await pair.st.stop()
    await writeFile(join(pair.weftDir, 'while-st-was-down.txt'), 'new too\n')
    await weft.json(['folder', 'rescan', pair.folder, '--wait'])
    pair.st = await SyncthingInstance.start({ name: 'st', home: stHome, listenPort: port })
    await sameTrees(pair.weftDir, pair.stDir, 'the change made while Syncthing was down to arrive')
    const afterSt = await waitFor('Syncthing to get the new record and announce its own copy of it', async () => {
      const p = await syncthingPeer(weft, pair.st.deviceId)
      return p.connected && (p.stats?.recordsIn ?? 0) >= 1 && (p.stats?.recordsOut ?? 0) >= 1 ? p : undefined
    }, 60_000, 200)
    assert.equal(afterSt.stats?.recordsOut, 1, `weft sent only the one new record, not all ${total + 2}`)
    assert.equal(afterSt.stats?.recordsIn, 1, `Syncthing sent only its record of the file it pulled, not all ${total + 2}`)
  })
})

describe('a real Syncthing that dials weft\'s BEP listener, with 500 MiB each way', { skip: unavailable !== undefined }, () => {
  let net: Testnet
  let weft: TestDaemon
  let pair: SyncthingPair
  before(async () => {
    const port = await freeLoopbackPort()
    net = await startTestnet(1, { names: ['weft'], initArgs: ['--syncthing-listen', `tcp://127.0.0.1:${port}`] })
    weft = net.daemons[0] as TestDaemon
    pair = await pairWithSyncthing(weft, { weftDials: false, weftAddress: `tcp://127.0.0.1:${port}` })
  })
  after(async () => {
    await pair?.st.stop()
    await net?.stop()
  })

  it('Syncthing called in, and weft knows it', async () => {
    const peer = await syncthingPeer(weft, pair.st.deviceId)
    assert.equal(peer.peer?.direction, 'in')
    assert.match(peer.peer?.client ?? '', /^syncthing v1\./)
  })

  it('500 MiB of mixed file sizes syncs weft to Syncthing, then Syncthing to weft', async () => {
    const sent = await writeMixedSet(pair.weftDir, 'from-weft')
    assert.equal(sent.bytes, 500 * 2 ** 20)
    await weft.json(['folder', 'rescan', pair.folder])
    await sameTrees(pair.weftDir, pair.stDir, '500 MiB from weft to arrive on Syncthing', 600_000)
    await writeMixedSet(pair.stDir, 'from-st')
    await pair.st.scan(pair.folder)
    const tree = await sameTrees(pair.weftDir, pair.stDir, '500 MiB from Syncthing to arrive on weft', 600_000)
    assert.equal(Object.keys(tree).filter((n) => !n.endsWith('/')).length, 2 * sent.files)
    const status = await weft.json<{ bytesFromPeers: number }>(['folder', 'status', pair.folder])
    assert.ok(status.bytesFromPeers >= 500 * 2 ** 20, `weft pulled every byte from Syncthing (${status.bytesFromPeers})`)
    const peer = await syncthingPeer(weft, pair.st.deviceId)
    assert.equal(peer.connected, true, 'one connection carried it all')
    console.log(`# link counters after 2 x 500 MiB: ${JSON.stringify(peer.stats)}`)
  })
})

describe('one folder shared with a weft member and a Syncthing device at once', { skip: unavailable !== undefined }, () => {
  let net: Testnet
  let hub: TestDaemon
  let member: TestDaemon
  let pair: SyncthingPair
  let memberDir: string
  before(async () => {
    net = await startTestnet(2, { names: ['hub', 'member'] })
    ;[hub, member] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([hub, member], 'home')
    await waitForOnline(hub, [member.deviceId])
    pair = await pairWithSyncthing(hub, { weftDials: true })
    memberDir = join(member.home, 'folder')
    await member.json(['folder', 'add', memberDir, '--net', 'home', '--id', pair.folder])
  })
  after(async () => {
    await pair?.st.stop()
    await net?.stop()
  })

  it('changes on any of the three reach the other two', async () => {
    await writeFile(join(pair.stDir, 'from-st.bin'), randomBytes(400_000))
    await pair.st.scan(pair.folder)
    await writeFile(join(memberDir, 'from-member.bin'), randomBytes(300_000))
    await member.json(['folder', 'rescan', pair.folder])
    await writeFile(join(pair.weftDir, 'from-hub.txt'), 'hub\n')
    await hub.json(['folder', 'rescan', pair.folder])
    const tree = await sameTrees(pair.weftDir, pair.stDir, 'all three files everywhere', 120_000, memberDir)
    assert.deepEqual(Object.keys(tree).sort(), ['from-hub.txt', 'from-member.bin', 'from-st.bin'])
    await writeFile(join(memberDir, 'from-st.bin'), 'changed by the member\n')
    await member.json(['folder', 'rescan', pair.folder])
    await rm(join(pair.stDir, 'from-hub.txt'))
    await pair.st.scan(pair.folder)
    const after = await sameTrees(pair.weftDir, pair.stDir, 'a member\'s edit and a Syncthing delete everywhere', 120_000, memberDir)
    assert.deepEqual(Object.keys(after).sort(), ['from-member.bin', 'from-st.bin'])
    assert.equal(await readFile(join(pair.stDir, 'from-st.bin'), 'utf8'), 'changed by the member\n')
  })
})

/**
 * A real Syncthing (1.19) is a weft folder peer over BEP on TCP+TLS: files created, modified,
 * deleted and renamed on either side arrive identical on the other (compared by SHA-256).
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet } from '../../src/testing/testnet.js'
import type { Testnet, TestDaemon } from '../../src/testing/testnet.js'
import { syncthingUnavailable } from '../../src/testing/syncthing.js'
import { pairWithSyncthing, sameTrees, syncthingPeer } from '../../src/testing/syncthing-pair.js'
import type { SyncthingPair } from '../../src/testing/syncthing-pair.js'

const unavailable = await syncthingUnavailable()
if (unavailable !== undefined) console.log(`# Syncthing interop tests skipped: ${unavailable}`)

describe('a real Syncthing as a folder peer (weft dials)', { skip: unavailable !== undefined }, () => {
  let net: Testnet
  let weft: TestDaemon
  let pair: SyncthingPair
  before(async () => {
    net = await startTestnet(1, { names: ['weft'] })
    weft = net.daemons[0] as TestDaemon
    pair = await pairWithSyncthing(weft, { weftDials: true })
  })
  after(async () => {
    await pair?.st.stop()
    await net?.stop()
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
})

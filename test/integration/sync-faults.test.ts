/**
 * Folder sync against a lying peer: a member started with the `corrupt-block-responses` test
 * fault answers every block request with one bit flipped. Receivers must verify each block,
 * discard the bad data, note the peer in the folder's status, take the block from an honest
 * member when there is one, and never write the bad data to disk when there is none.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface FolderStatus { need: { files: number }, badBlocks: Array<{ device: string, count: number }> }

const sha = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

async function fileHash (path: string): Promise<string | undefined> {
  try { return sha(await readFile(path)) } catch { return undefined }
}

/** Every regular file under `dir` (hidden ones and temporaries included), as buffers. */
async function allFiles (dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.set(path, await readFile(path))
  }
  return out
}

/** The data of `original` as the liar serves it: the first byte of every 128 KiB block flipped. */
function corrupted (original: Buffer): Buffer {
  const copy = Buffer.from(original)
  for (let offset = 0; offset < copy.length; offset += 128 * 1024) copy[offset] = copy[offset]! ^ 1
  return copy
}

describe('folder sync: a peer that sends wrong data', () => {
  let net: Testnet
  let liar: TestDaemon
  let honest: TestDaemon
  let recv: TestDaemon
  const dirs: Record<string, string> = {}
  before(async () => {
    net = await startTestnet(3, { names: ['liar', 'honest', 'recv'] })
    ;[liar, honest, recv] = net.daemons as [TestDaemon, TestDaemon, TestDaemon]
    await liar.stop()
    await liar.start({ WEFT_TEST_FAULTS: 'corrupt-block-responses' })
    await formNetwork([honest, liar, recv], 'home')
    await waitForOnline(recv, [liar.deviceId, honest.deviceId])
    await waitForOnline(liar, [honest.deviceId, recv.deviceId])
    for (const d of net.daemons) {
      dirs[d.name] = join(d.home, 'shared')
      await mkdir(dirs[d.name]!, { recursive: true })
    }
  })
  after(async () => { await net.stop() })

  it('a lying member is not believed; the honest one supplies the data', async () => {
    const data = randomBytes(4 * 1024 * 1024)
    await writeFile(join(dirs.honest!, 'a.bin'), data)
    await honest.json(['folder', 'add', dirs.honest!, '--net', 'home', '--id', 'shared'])
    await liar.json(['folder', 'add', dirs.liar!, '--net', 'home', '--id', 'shared'])
    // The liar only lies when answering; it receives honestly.
    await waitFor('a.bin on the liar', async () => await fileHash(join(dirs.liar!, 'a.bin')) === sha(data), 60_000, 200)
    await recv.json(['folder', 'add', dirs.recv!, '--net', 'home', '--id', 'shared'])
    await waitFor('a.bin on recv', async () => await fileHash(join(dirs.recv!, 'a.bin')) === sha(data), 60_000, 200)
  })

  it('data only the liar has never reaches the disk of the others', async () => {
    const data = randomBytes(1024 * 1024)
    await writeFile(join(dirs.liar!, 'only-liar.bin'), data)
    const bad = corrupted(data)
    for (const d of [honest, recv]) {
      const status = await waitFor(`${d.name} notes the liar`, async () => {
        const s = await d.json<FolderStatus>(['folder', 'status', 'shared'])
        return s.badBlocks.some((b) => b.device === liar.deviceId && b.count > 0) ? s : undefined
      }, 60_000, 200)
      assert.ok(status.badBlocks.every((b) => b.device === liar.deviceId), 'only the liar is noted')
    }
    // Give any wrong write time to happen, then look at every byte on disk.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    for (const d of [honest, recv]) {
      assert.equal(await fileHash(join(dirs[d.name]!, 'only-liar.bin')), undefined, `only-liar.bin is not on ${d.name}`)
      for (const [path, content] of await allFiles(dirs[d.name]!)) {
        for (let offset = 0; offset < bad.length; offset += 128 * 1024) {
          const block = bad.subarray(offset, offset + 128 * 1024)
          assert.equal(content.indexOf(block), -1, `${path} on ${d.name} holds a corrupted block`)
        }
      }
      const s = await d.json<FolderStatus>(['folder', 'status', 'shared'])
      assert.ok(s.need.files >= 1, `${d.name} still needs the file`)
    }
  })
})

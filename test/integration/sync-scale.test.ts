/**
 * Folder sync at size: a 300 MiB (sparse, with random regions) file, whose block size goes up
 * from 128 KiB to 256 KiB by BEP's rule, and 10,000 small files in 100 directories, between two
 * real daemons, checked byte for byte on the receiver.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, formNetwork, waitForOnline, waitFor } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface FolderStatus { state: string, need: { files: number, deletes: number }, local: { files: number, directories: number } }
interface FileRecord { size: number, blockSize: number, blocks: number }

async function streamHash (path: string): Promise<string | undefined> {
  try {
    const hash = createHash('sha256')
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
    return hash.digest('hex')
  } catch {
    return undefined
  }
}

describe('folder sync at size', () => {
  let net: Testnet
  let a: TestDaemon
  let b: TestDaemon
  before(async () => {
    net = await startTestnet(2)
    ;[a, b] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([a, b], 'home')
    await waitForOnline(b, [a.deviceId])
  })
  after(async () => { await net.stop() })

  it('a 300 MiB file (block size 256 KiB) arrives intact', async () => {
    const src = join(a.home, 'big')
    const dst = join(b.home, 'big')
    await mkdir(src)
    const size = 300 * 1024 * 1024
    const handle = await open(join(src, 'disk.img'), 'w')
    try {
      await handle.truncate(size) // sparse: zeros cost no disk
      for (const offset of [0, 77 * 1024 * 1024 + 12_345, 150 * 1024 * 1024, size - 1024 * 1024]) {
        await handle.write(randomBytes(1024 * 1024), 0, 1024 * 1024, offset)
      }
    } finally {
      await handle.close()
    }
    const want = await streamHash(join(src, 'disk.img'))
    await a.json(['folder', 'add', src, '--net', 'home', '--id', 'big'])
    await b.json(['folder', 'add', dst, '--net', 'home', '--id', 'big'])
    await waitFor('disk.img on b', async () => {
      const s = await b.json<FolderStatus>(['folder', 'status', 'big'])
      return s.state === 'idle' && s.need.files === 0 && s.local.files === 1
    }, 300_000, 500)
    assert.equal(await streamHash(join(dst, 'disk.img')), want)
    const record = await b.json<{ local: FileRecord }>(['folder', 'file', 'big', 'disk.img'])
    assert.deepEqual(record.local, { ...record.local, size, blockSize: 256 * 1024, blocks: 1200 })
  })

  it('10,000 small files arrive intact', async () => {
    const src = join(a.home, 'many')
    const dst = join(b.home, 'many')
    const files = new Map<string, Buffer>()
    for (let d = 0; d < 100; d++) {
      await mkdir(join(src, `dir${d}`), { recursive: true })
      for (let f = 0; f < 100; f++) {
        const name = `dir${d}/file${f}.txt`
        const data = randomBytes(50 + ((d * 100 + f) % 1000))
        files.set(name, data)
        await writeFile(join(src, name), data)
      }
    }
    await a.json(['folder', 'add', src, '--net', 'home', '--id', 'many'])
    await b.json(['folder', 'add', dst, '--net', 'home', '--id', 'many'])
    await waitFor('10,000 files on b', async () => {
      const s = await b.json<FolderStatus>(['folder', 'status', 'many'])
      return s.state === 'idle' && s.need.files === 0 && s.local.files === 10_000 && s.local.directories === 100
    }, 600_000, 1000)
    let wrong = 0
    for (const [name, data] of files) {
      if (!(await readFile(join(dst, name))).equals(data)) wrong++
    }
    assert.equal(wrong, 0, 'every file has the sender\'s bytes')
    // A rescan with --wait returns once the new scan is done, with the folder's status.
    const before = (await b.json<{ lastScanAt: number }>(['folder', 'status', 'many'])).lastScanAt
    const after = await b.json<FolderStatus & { lastScanAt: number }>(['folder', 'rescan', 'many', '--wait'])
    assert.ok(after.lastScanAt > before, 'the rescan finished before --wait returned')
    assert.equal(after.local.files, 10_000)
  })
})

/**
 * The ledger of a receive: what it records survives reopening (a new attempt), counts only
 * while the file is still there with its size, belongs to one offer (another code or another
 * list of files does not see it), and goes away when the receive is done.
 */
import { describe, it, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ReceiveLedger } from './transfer-ledger.js'

describe('receive ledger', () => {
  const dirs: string[] = []
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }) })
  const files = [{ name: 'a.txt', size: 3 }, { name: 'b.bin', size: 10 }]

  it('remembers finished files across attempts while they are still there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-ledger-'))
    dirs.push(dir)
    const a = join(dir, 'a.txt')
    await writeFile(a, 'abc')
    const first = await ReceiveLedger.open(dir, 'device\n12-word-word', files)
    assert.equal(await first.finished(0, 3), undefined)
    await first.add(0, a, 3)

    const again = await ReceiveLedger.open(dir, 'device\n12-word-word', files)
    assert.equal(await again.finished(0, 3), a)
    assert.equal(await again.finished(1, 10), undefined)
    assert.equal(await again.finished(0, 4), undefined, 'another size is another file')
    assert.equal(await (await ReceiveLedger.open(dir, 'device\n12-other-code', files)).finished(0, 3), undefined)
    assert.equal(await (await ReceiveLedger.open(dir, 'device\n12-word-word', [files[0] ?? { name: '', size: 0 }])).finished(0, 3), undefined)

    await writeFile(a, 'abcd')
    assert.equal(await again.finished(0, 3), undefined, 'a file changed since is fetched again')
    await rm(a)
    assert.equal(await again.finished(0, 3), undefined, 'a file deleted since is fetched again')

    await again.remove()
    assert.deepEqual(await readdir(dir), [])
  })

  it('starts empty from a ledger that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-ledger-'))
    dirs.push(dir)
    const ledger = await ReceiveLedger.open(dir, 'x', files)
    await writeFile(ledger.path, '{not json')
    assert.equal(await (await ReceiveLedger.open(dir, 'x', files)).finished(0, 3), undefined)
  })
})

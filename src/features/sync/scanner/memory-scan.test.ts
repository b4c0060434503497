/**
 * The scanner on an in-memory folder (MemoryFs): what it reads of a folder it reads through
 * the FolderFs seam, so unreadable files, vanished ones and a missing folder marker can be set
 * up exactly, without chmod tricks that root ignores.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { MemoryFs } from '../fs/memory.js'
import { scanFolder } from './scanner.js'
import type { ScannedFile } from './scanner.js'
import type { FileInfo } from '../types.js'

const root = '/f'

function asPrevious (files: ScannedFile[]): FileInfo[] {
  return files.map((f) => ({ ...f, version: [], sequence: 1, modifiedBy: 0 } as unknown as FileInfo))
}

async function scan (fs: MemoryFs, previous: FileInfo[] = []): ReturnType<typeof scanFolder> {
  const byName = new Map(previous.map((f) => [f.name, f]))
  const sorted = [...previous].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  return await scanFolder({
    root,
    fs,
    previous: (name) => byName.get(name),
    previousPages: (after, limit) => sorted.filter((f) => f.name > after).slice(0, limit)
  })
}

describe('scanner on MemoryFs', () => {
  it('hashes what it can read, reports what it cannot, and never calls an unreadable file deleted', async () => {
    const fs = new MemoryFs()
    fs.writeFileSync(`${root}/.stfolder`, '')
    fs.writeFileSync(`${root}/a.txt`, 'a')
    fs.writeFileSync(`${root}/locked.txt`, 'secret')
    fs.writeFileSync(`${root}/sub/b.txt`, 'b')
    const first = await scan(fs)
    assert.deepEqual(first.changed.map((f) => f.name).sort(), ['a.txt', 'locked.txt', 'sub', 'sub/b.txt'])

    fs.tick()
    fs.writeFileSync(`${root}/locked.txt`, 'secret, edited')
    fs.inject({ op: 'open', path: `${root}/locked.txt`, code: 'EACCES' })
    const second = await scan(fs, asPrevious(first.changed))
    assert.deepEqual(second.changed, [])
    assert.deepEqual(second.deleted, [])
    assert.deepEqual(second.errors.map((e) => [e.name, e.code]), [['locked.txt', 'FORBIDDEN']])
  })

  it('lists deletions only when they are gone, and refuses a folder without its marker', async () => {
    const fs = new MemoryFs()
    fs.writeFileSync(`${root}/.stfolder`, '')
    fs.writeFileSync(`${root}/keep.txt`, 'k')
    fs.writeFileSync(`${root}/gone.txt`, 'g')
    const first = await scan(fs)
    await fs.unlink(`${root}/gone.txt`)
    const second = await scan(fs, asPrevious(first.changed))
    assert.deepEqual(second.deleted, ['gone.txt'])

    await fs.unlink(`${root}/.stfolder`)
    await assert.rejects(scan(fs, asPrevious(first.changed)), (err: Error & { code?: string }) => err.code === 'NOT_FOUND' && /marker/.test(err.message))
  })
})

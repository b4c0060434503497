/**
 * The same checks against both FolderFs implementations: NodeFs on a temporary directory and
 * MemoryFs. Whatever the sync engine relies on (lstat without following, O_NOFOLLOW opens,
 * exclusive create, rename over a file keeping the moved inode, rmdir of a non-empty
 * directory refused, positioned reads and writes, error codes) must behave alike, so tests on
 * memory say something about the disk. Then MemoryFs's own controls: faults and its clock.
 */
import { describe, it, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errnoCode } from './errors.js'
import { diskEntryAt } from './entry.js'
import { MemoryFs } from './memory.js'
import { CheckedDirs, resolveInFolder } from './names.js'
import { nodeFs } from './node.js'
import type { FolderFs } from './types.js'

async function code (p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    return errnoCode(err) ?? String(err)
  }
  return undefined
}

function codeSync (f: () => unknown): string | undefined {
  try {
    f()
  } catch (err) {
    return errnoCode(err) ?? String(err)
  }
  return undefined
}

async function writeWhole (fs: FolderFs, path: string, text: string): Promise<void> {
  const file = await fs.openFile(path, 'create')
  const data = Buffer.from(text)
  await file.write(data, 0, data.length, 0)
  await file.sync()
  await file.close()
}

function contract (name: string, setup: () => Promise<{ fs: FolderFs, root: string }>): void {
  describe(`FolderFs contract: ${name}`, () => {
    it('creates, reads at a position, renames over a file and removes', async () => {
      const { fs, root } = await setup()
      await fs.mkdir(join(root, 'd'), 0o755)
      assert.equal(await code(fs.mkdir(join(root, 'd'), 0o755)), 'EEXIST')
      await writeWhole(fs, join(root, 'd/a'), 'hello world')
      assert.equal(await code(fs.openFile(join(root, 'd/a'), 'create')), 'EEXIST')
      const st = fs.lstatSync(join(root, 'd/a'))
      assert.ok(st?.isFile() === true && st.size === 11n)
      assert.equal(fs.lstatSync(join(root, 'd/none')), undefined)
      assert.equal(await code(fs.lstat(join(root, 'd/none'))), 'ENOENT')

      const fd = fs.openFdSync(join(root, 'd/a'), true)
      const buf = Buffer.alloc(5)
      assert.equal(fs.readFdSync(fd, buf, 0, 5, 6), 5)
      assert.equal(buf.toString(), 'world')
      assert.equal(await fs.readFd(fd, buf, 0, 5, 11), 0)
      assert.ok(fs.fstatSync(fd).isFile())
      fs.closeFdSync(fd)

      await writeWhole(fs, join(root, 'd/b'), 'new')
      const moved = fs.lstatSync(join(root, 'd/b'))?.ino
      await fs.rename(join(root, 'd/b'), join(root, 'd/a'))
      assert.equal(fs.lstatSync(join(root, 'd/a'))?.ino, moved)
      assert.equal((await fs.readFile(join(root, 'd/a'))).toString(), 'new')
      assert.deepEqual((await fs.readdir(join(root, 'd'))).map((e) => e.name), ['a'])

      assert.equal(await code(fs.rmdir(join(root, 'd'))), 'ENOTEMPTY')
      assert.equal(await code(fs.unlink(join(root, 'd'))), 'EISDIR')
      await fs.unlink(join(root, 'd/a'))
      await fs.fsyncDir(join(root, 'd'))
      await fs.rmdir(join(root, 'd'))
      assert.equal(fs.lstatSync(join(root, 'd')), undefined)
    })

    it('never follows a symlink where it must not', async () => {
      const { fs, root } = await setup()
      await writeWhole(fs, join(root, 'target'), 'secret')
      await fs.symlink('target', join(root, 'link'))
      assert.ok(fs.lstatSync(join(root, 'link'))?.isSymbolicLink())
      assert.equal(fs.readlinkSync(join(root, 'link')), 'target')
      assert.ok((await fs.stat(join(root, 'link'))).isFile())
      assert.equal(await code(fs.openFile(join(root, 'link'), 'read')), 'ELOOP')
      assert.equal(codeSync(() => fs.openFdSync(join(root, 'link'), true)), 'ELOOP')
      const fd = fs.openFdSync(join(root, 'link'), false)
      fs.closeFdSync(fd)
      assert.deepEqual(await diskEntryAt(fs, join(root, 'link')), { kind: 'symlink', stats: fs.lstatSync(join(root, 'link')), target: 'target' })

      // A symlinked parent is refused by name resolution.
      await fs.mkdir(join(root, 'real'), 0o755)
      await fs.symlink('real', join(root, 'dirlink'))
      await assert.rejects(resolveInFolder(fs, root, 'dirlink/x', { checked: new CheckedDirs() }), /symlink/)
      assert.equal(await resolveInFolder(fs, root, 'new/deep/x', { createParents: true }), join(root, 'new/deep/x'))
      assert.ok(fs.lstatSync(join(root, 'new/deep'))?.isDirectory())
    })

    it('sets permissions and modification times, and truncates', async () => {
      const { fs, root } = await setup()
      const file = await fs.openFile(join(root, 'f'), 'create')
      await file.write(Buffer.from('abcdef'), 0, 6, 0)
      await file.truncate(3)
      fs.fchmodSync(file, 0o640)
      fs.futimesSync(file, 1_700_000_000.5)
      await file.close()
      const st = fs.lstatSync(join(root, 'f'))
      assert.equal(st?.size, 3n)
      assert.equal(Number((st?.mode ?? 0n) & 0o777n), 0o640)
      assert.equal(st?.mtimeNs, 1_700_000_000_500_000_000n)
      await fs.chmod(join(root, 'f'), 0o600)
      await fs.utimes(join(root, 'f'), 1_600_000_000)
      const again = await fs.lstat(join(root, 'f'))
      assert.equal(Number(again.mode & 0o777n), 0o600)
      assert.equal(again.mtimeNs, 1_600_000_000_000_000_000n)
      await fs.appendFile(join(root, 'f'), '!')
      assert.equal((await fs.readFile(join(root, 'f'))).toString(), 'abc!')
    })
  })
}

const homes: string[] = []
after(async () => { await Promise.all(homes.map(async (h) => { await rm(h, { recursive: true, force: true }) })) })

contract('NodeFs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'weft-fs-'))
  homes.push(root)
  return { fs: nodeFs, root }
})

contract('MemoryFs', async () => {
  const fs = new MemoryFs()
  fs.mkdirpSync('/root')
  return await Promise.resolve({ fs, root: '/root' })
})

describe('MemoryFs controls', () => {
  it('injects faults by operation and path, for a number of times', async () => {
    const fs = new MemoryFs()
    fs.writeFileSync('/r/a/x', 'x')
    fs.inject({ op: 'open', path: '/r/a', code: 'EACCES', times: 1 })
    assert.equal(await code(fs.openFile('/r/a/x', 'read')), 'EACCES')
    const file = await fs.openFile('/r/a/x', 'update')
    const clear = fs.inject({ op: 'write', code: 'ENOSPC' })
    assert.equal(await code(file.write(Buffer.from('y'), 0, 1, 0)), 'ENOSPC')
    clear()
    await file.write(Buffer.from('y'), 0, 1, 0)
    await file.close()
    assert.equal(fs.readFileSync('/r/a/x').toString(), 'y')
    assert.equal(fs.openDescriptors, 0)
  })

  it('moves its clock deterministically', () => {
    const one = new MemoryFs()
    const two = new MemoryFs()
    for (const fs of [one, two]) {
      fs.writeFileSync('/a', '1')
      fs.tick(1000)
      fs.writeFileSync('/b', '2')
    }
    assert.deepEqual([one.lstatSync('/a')?.mtimeNs, one.lstatSync('/b')?.mtimeNs], [two.lstatSync('/a')?.mtimeNs, two.lstatSync('/b')?.mtimeNs])
    assert.ok((one.lstatSync('/b')?.mtimeNs ?? 0n) - (one.lstatSync('/a')?.mtimeNs ?? 0n) >= 1_000_000_000n)
  })
})

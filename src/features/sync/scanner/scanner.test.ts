/**
 * Scanner against real temporary folders: first scan, unchanged files not rehashed, changes
 * and deletions, symlinks recorded but never followed, missing root/marker refused, NFC
 * names, ignores, internal and temporary names, partial scans, unreadable entries.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { compileIgnores } from '../ignore/ignores.js'
import type { Ignores } from '../ignore/ignores.js'
import type { FileInfo } from '../types.js'
import { FileHasher } from './hasher.js'
import type { HashFileFn } from './hasher.js'
import { compareNames } from './order.js'
import { scanFolder } from './scanner.js'
import type { ScanResult } from './scanner.js'

/** Pages of a map's records in name order, as the index gives them to the scanner. */
function pagesOf (files: ReadonlyMap<string, FileInfo>, after: string, limit: number): FileInfo[] {
  return [...files.values()].filter((f) => compareNames(f.name, after) > 0).sort((a, b) => compareNames(a.name, b.name)).slice(0, limit)
}

/** A stand-in for the index: applies scan results, counts hashes. */
class FakeIndex {
  readonly files = new Map<string, FileInfo>()
  hashed: string[] = []
  private readonly hasher = new FileHasher()
  readonly hashFile: HashFileFn = async (path, opts) => {
    this.hashed.push(path)
    return await this.hasher.hashFile(path, opts)
  }

  async scan (root: string, extra: { ignores?: Ignores, paths?: string[] } = {}): Promise<ScanResult> {
    this.hashed = []
    const result = await scanFolder({
      root,
      previous: (name) => this.files.get(name),
      previousPages: (after, limit) => pagesOf(this.files, after, limit),
      hashFile: this.hashFile,
      ...extra
    })
    for (const f of result.changed) this.files.set(f.name, { ...f, version: [], sequence: 0, modifiedBy: 0n })
    for (const name of result.deleted) this.files.set(name, { ...this.files.get(name)!, deleted: true })
    return result
  }
}

function names (result: ScanResult): string[] {
  return result.changed.map((f) => f.name).sort()
}

describe('scanFolder', () => {
  let root = ''
  let index = new FakeIndex()
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'weft-scan-'))
    await mkdir(join(root, '.stfolder'))
    index = new FakeIndex()
  })
  afterEach(async () => {
    await chmod(root, 0o755).catch(() => undefined)
    await rm(root, { recursive: true, force: true })
  })

  it('records files, directories and their blocks on the first scan', async () => {
    await mkdir(join(root, 'docs/deep'), { recursive: true })
    await writeFile(join(root, 'docs/deep/a.txt'), 'hello')
    await writeFile(join(root, 'top.bin'), Buffer.alloc(300_000, 7))
    await writeFile(join(root, 'empty'), '')
    const result = await index.scan(root)
    assert.deepEqual(names(result), ['docs', 'docs/deep', 'docs/deep/a.txt', 'empty', 'top.bin'])
    assert.deepEqual(result.deleted, [])
    assert.deepEqual(result.errors, [])
    const a = result.changed.find((f) => f.name === 'docs/deep/a.txt')!
    assert.equal(a.type, 'file')
    assert.equal(a.size, 5)
    assert.deepEqual(Buffer.from(a.blocks[0]!.hash), createHash('sha256').update('hello').digest())
    assert.equal(index.files.get('top.bin')!.blocks.length, 3)
    assert.equal(index.files.get('docs')!.type, 'directory')
    assert.ok(typeof a.inode === 'number' && a.modifiedS > 0 && a.permissions > 0)
  })

  it('does not rehash unchanged files, and rehashes modified ones', async () => {
    await writeFile(join(root, 'a'), 'one')
    await writeFile(join(root, 'b'), 'two')
    await index.scan(root)
    assert.equal(index.hashed.length, 2)
    const again = await index.scan(root)
    assert.deepEqual(again.changed, [])
    assert.equal(index.hashed.length, 0, 'nothing hashed when size, mtime and inode match')
    await writeFile(join(root, 'b'), 'three')
    await utimes(join(root, 'b'), new Date(), new Date(Date.now() + 5000))
    const changed = await index.scan(root)
    assert.deepEqual(names(changed), ['b'])
    assert.deepEqual(index.hashed, [join(root, 'b')])
  })

  it('reuses blocks for a permission-only change', async () => {
    await writeFile(join(root, 'a'), 'data')
    await index.scan(root)
    await chmod(join(root, 'a'), 0o600)
    const result = await index.scan(root)
    assert.equal(index.hashed.length, 0)
    assert.equal(result.changed[0]!.permissions, 0o600)
    assert.equal(result.changed[0]!.blocks.length, 1)
  })

  it('detects deletions, including whole directories, once', async () => {
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd/x'), 'x')
    await writeFile(join(root, 'keep'), 'k')
    await index.scan(root)
    await rm(join(root, 'd'), { recursive: true })
    const result = await index.scan(root)
    assert.deepEqual(result.deleted.sort(), ['d', 'd/x'])
    assert.deepEqual((await index.scan(root)).deleted, [], 'already deleted records are not reported again')
  })

  it('confirms many deletions, in name order', async () => {
    await mkdir(join(root, 'many'))
    for (let i = 0; i < 150; i++) await writeFile(join(root, 'many', `f${i}`), '')
    await writeFile(join(root, 'many-kept'), 'k')
    await index.scan(root)
    await rm(join(root, 'many'), { recursive: true })
    const result = await index.scan(root)
    assert.equal(result.deleted.length, 151)
    assert.deepEqual(result.deleted, [...result.deleted].sort(compareNames))
    assert.ok(!result.deleted.includes('many-kept'))
  })

  it('records symlinks with their target and never follows them', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'weft-outside-'))
    try {
      await writeFile(join(outside, 'secret'), 's')
      await symlink(outside, join(root, 'link'))
      await symlink('missing-target', join(root, 'dangling'))
      const result = await index.scan(root)
      assert.deepEqual(names(result), ['dangling', 'link'])
      const link = result.changed.find((f) => f.name === 'link')!
      assert.equal(link.type, 'symlink')
      assert.equal(link.symlinkTarget, outside)
      assert.deepEqual(link.blocks, [])
      assert.equal(index.hashed.length, 0)
      assert.deepEqual(await index.scan(root, { paths: ['link/secret'] }), { changed: [], deleted: [], ignored: [], errors: [], temporaries: [] })
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it('refuses to scan without the folder root or its .stfolder marker', async () => {
    await writeFile(join(root, 'a'), 'a')
    await index.scan(root)
    await rm(join(root, '.stfolder'), { recursive: true })
    await assert.rejects(index.scan(root), (err: unknown) => err instanceof WeftError && err.code === 'NOT_FOUND' && /\.stfolder is missing/.test(err.message))
    await assert.rejects(index.scan(join(root, 'nope')), (err: unknown) => err instanceof WeftError && err.code === 'NOT_FOUND' && /root .* is missing/.test(err.message))
    assert.equal(index.files.get('a')!.deleted, false)
  })

  it('normalizes names to NFC', async () => {
    const nfd = 'Cafe\u0301'
    await mkdir(join(root, nfd))
    await writeFile(join(root, nfd, `re\u0301sume\u0301.txt`), 'x')
    const result = await index.scan(root)
    assert.deepEqual(names(result), ['Caf\u00e9', 'Caf\u00e9/r\u00e9sum\u00e9.txt'])
    assert.deepEqual((await index.scan(root)).changed, [], 'the NFC name finds its previous record')
  })

  it('skips internal names and temporary files, and applies ignores', async () => {
    await mkdir(join(root, '.stversions'))
    await writeFile(join(root, '.stversions/old'), 'v')
    await writeFile(join(root, '.stignore'), 'build\n')
    await writeFile(join(root, '.syncthing.a.tmp'), 't')
    await mkdir(join(root, 'build'))
    await writeFile(join(root, 'build/out.o'), 'o')
    await writeFile(join(root, 'src.c'), 'c')
    await writeFile(join(root, 'notes.log'), 'l')
    await mkdir(join(root, 'sub'))
    await writeFile(join(root, 'sub/.syncthing.b.tmp'), 't')
    const ignores = await compileIgnores('build')
    const first = await index.scan(root, { ignores })
    assert.deepEqual(names(first), ['notes.log', 'src.c', 'sub'])
    assert.deepEqual(first.temporaries, ['.syncthing.a.tmp', 'sub/.syncthing.b.tmp'], 'temporary files are reported for cleanup')
    const result = await index.scan(root, { ignores: await compileIgnores('build\n*.log') })
    assert.deepEqual(result.ignored, ['notes.log'], 'a known file now ignored is reported, not deleted')
    assert.deepEqual(result.deleted, [])
    index.files.set('notes.log', { ...index.files.get('notes.log')!, invalid: true })
    assert.deepEqual((await index.scan(root, { ignores: await compileIgnores('build\n*.log') })).ignored, [], 'already recorded as ignored')
  })

  it('walks into ignored directories when a ! pattern may re-include something', async () => {
    await mkdir(join(root, 'a'))
    await writeFile(join(root, 'a/keep'), 'k')
    await writeFile(join(root, 'a/drop'), 'd')
    const ignores = await compileIgnores('!a/keep\na')
    assert.deepEqual(names(await index.scan(root, { ignores })), ['a/keep'])
  })

  it('scans only the given paths, and finds deletions only under them', async () => {
    await mkdir(join(root, 'x'))
    await writeFile(join(root, 'x/1'), '1')
    await writeFile(join(root, 'y'), 'y')
    await index.scan(root)
    await writeFile(join(root, 'x/2'), '2')
    await rm(join(root, 'y'))
    await writeFile(join(root, 'x/1'), 'changed')
    await utimes(join(root, 'x/1'), new Date(), new Date(Date.now() + 5000))
    const result = await index.scan(root, { paths: ['x/2', 'x/2', 'z'] })
    assert.deepEqual(names(result), ['x/2'])
    assert.deepEqual(result.deleted, [])
    const dir = await index.scan(root, { paths: ['x', 'y'] })
    assert.deepEqual(names(dir), ['x/1'])
    assert.deepEqual(dir.deleted, ['y'])
  })

  it('reports unreadable entries as errors without treating them as deleted', { skip: process.getuid?.() === 0 ? 'root reads everything' : false }, async () => {
    await mkdir(join(root, 'locked'))
    await writeFile(join(root, 'locked/f'), 'f')
    await writeFile(join(root, 'secret'), 's')
    await index.scan(root)
    await chmod(join(root, 'locked'), 0o000)
    await writeFile(join(root, 'secret'), 'changed!')
    await chmod(join(root, 'secret'), 0o000)
    try {
      const result = await index.scan(root)
      assert.deepEqual(result.errors.map((e) => [e.name, e.code]).sort(), [['locked', 'FORBIDDEN'], ['secret', 'FORBIDDEN']])
      assert.deepEqual(result.deleted, [])
    } finally {
      await chmod(join(root, 'locked'), 0o755)
    }
  })

  it('keeps going when a file cannot be hashed, and reports it as an error', async () => {
    await writeFile(join(root, 'bad'), 'b')
    await writeFile(join(root, 'good'), 'g')
    await index.scan(root)
    await writeFile(join(root, 'bad'), 'bad!')
    await writeFile(join(root, 'good'), 'good!')
    const result = await scanFolder({
      root,
      previous: (name) => index.files.get(name),
      previousPages: (after, limit) => pagesOf(index.files, after, limit),
      hashFile: async (path, opts) => {
        if (path.endsWith('bad')) throw new WeftError('FORBIDDEN', `hashing ${path}: permission denied`)
        return await new FileHasher().hashFile(path, opts)
      }
    })
    assert.deepEqual(names(result), ['good'])
    assert.deepEqual(result.errors.map((e) => [e.name, e.code]), [['bad', 'FORBIDDEN']])
    assert.deepEqual(result.deleted, [])
  })

  it('gives the same records when small files are hashed in place', async () => {
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd/small'), 'small')
    await writeFile(join(root, 'd/empty'), '')
    await writeFile(join(root, 'big'), Buffer.alloc(300_000, 3))
    const scan = async (hashInPlace: boolean): Promise<ScanResult> => await scanFolder({ root, hashInPlace, previous: () => undefined, previousPages: () => [] })
    const [pooled, inPlace] = [await scan(false), await scan(true)]
    for (const r of [pooled, inPlace]) r.changed.sort((a, b) => compareNames(a.name, b.name))
    assert.deepEqual(inPlace, pooled)
    assert.equal(inPlace.changed.length, 4)
  })

  it('reports a name deleted when its parent directory became a symlink', async () => {
    await mkdir(join(root, 'd'))
    await writeFile(join(root, 'd/x'), 'x')
    await index.scan(root)
    await rm(join(root, 'd'), { recursive: true })
    await mkdir(join(root, 'elsewhere'))
    await writeFile(join(root, 'elsewhere/x'), 'x')
    await symlink('elsewhere', join(root, 'd'))
    const result = await index.scan(root)
    assert.deepEqual(result.deleted, ['d/x'])
    assert.equal(index.files.get('d')!.type, 'symlink')
  })

  it('stops, deleting nothing, when the previous records come out of name order', async () => {
    await writeFile(join(root, 'a'), 'a')
    await writeFile(join(root, 'b'), 'b')
    await index.scan(root)
    const [a, b] = [index.files.get('a')!, index.files.get('b')!]
    await assert.rejects(scanFolder({ root, previous: (name) => index.files.get(name), previousPages: (after) => after === '' ? [b, a] : [] }),
      (err: unknown) => err instanceof WeftError && err.code === 'INTERNAL' && /out of name order/.test(err.message))
  })

  it('stops with ABORTED when the signal fires', async () => {
    await writeFile(join(root, 'a'), 'a')
    const ac = new AbortController()
    ac.abort()
    await assert.rejects(scanFolder({ root, previous: () => undefined, previousPages: () => [], signal: ac.signal }),
      (err: unknown) => err instanceof WeftError && err.code === 'ABORTED')
  })
})

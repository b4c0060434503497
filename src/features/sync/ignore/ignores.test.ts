/**
 * `.stignore` semantics: Syncthing's documented examples, prefixes, anchoring, directory
 * contents, includes (relative paths, loops, missing files) and loading from a real folder.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { WeftError } from '../../../core/errors.js'
import { compileGlob, compileIgnores, isInternal, isTemporary, loadIgnores, noIgnores, normalizeName } from './index.js'
import type { Ignores } from './index.js'

async function ig (text: string, files: Record<string, string> = {}): Promise<Ignores> {
  return await compileIgnores(text, { readInclude: async (p) => await Promise.resolve(files[p]) })
}

function ignored (ignores: Ignores, path: string): boolean {
  return ignores.match(path).ignored
}

async function rejectsWith (p: Promise<unknown>, code: string, text: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof WeftError && err.code === code && text.test(err.message))
}

describe('ignore globs', () => {
  it('follow the examples of Syncthing\'s documentation', async () => {
    const star = await ig('te*st')
    for (const p of ['test', 'subdir/telerest']) assert.ok(ignored(star, p), p)
    assert.ok(!ignored(star, 'tele/rest'))
    const twoStars = await ig('te**st')
    for (const p of ['test', 'subdir/telerest', 'tele/sub/dir/rest']) assert.ok(ignored(twoStars, p), p)
    const qm = await ig('te??st')
    assert.ok(ignored(qm, 'tebest'))
    assert.ok(!ignored(qm, 'teb/st'))
    assert.ok(!ignored(qm, 'test'))
  })
  it('support classes, alternatives and escapes', async () => {
    const i = await ig('[a-c]x\n[!0-9]y\n{banana,pine*}.txt\n\\{lit\\}')
    assert.ok(ignored(i, 'bx') && !ignored(i, 'dx'))
    assert.ok(ignored(i, 'zy') && !ignored(i, '5y'))
    assert.ok(ignored(i, 'banana.txt') && ignored(i, 'pineapple.txt') && !ignored(i, 'apple.txt'))
    assert.ok(ignored(i, '{lit}'))
    assert.ok(!compileGlob('a[!x]b').test('a/b'), 'a class never matches the separator')
  })
  it('reject malformed patterns with the line number', async () => {
    await rejectsWith(ig('ok\n[abc'), 'INVALID_ARGUMENT', /\.stignore:2/)
    await rejectsWith(ig('{a,b'), 'INVALID_ARGUMENT', /unterminated/)
    await rejectsWith(ig('!'), 'INVALID_ARGUMENT', /missing pattern/)
  })
  it('* never crosses a separator; literal names match themselves at any depth', async () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9._ -]{1,8}$/), fc.stringMatching(/^[a-z0-9._ -]{1,8}$/), (a, b) => {
      assert.ok(!compileGlob('*').test(`${a}/${b}`))
      assert.ok(compileGlob('**').test(`${a}/${b}`))
    }))
    const fileName = fc.stringMatching(/^[a-z0-9._-]{1,8}$/).filter((n) => n !== '.' && n !== '..')
    await fc.assert(fc.asyncProperty(fileName, fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { maxLength: 3 }), async (name, dirs) => {
      const i = await ig(name)
      assert.ok(ignored(i, [...dirs, name].join('/')))
    }))
  })
})

describe('ignore lines', () => {
  it('anchor a leading / at the root and match contents of matched directories', async () => {
    const i = await ig('/foo\nbar')
    assert.ok(ignored(i, 'foo') && ignored(i, 'foo/x/y'))
    assert.ok(!ignored(i, 'sub/foo'))
    assert.ok(ignored(i, 'bar') && ignored(i, 'a/b/bar') && ignored(i, 'a/bar/c'))
    assert.ok(!ignored(i, 'barn') && !ignored(i, 'a/xbar'))
  })
  it('match only the contents for a trailing /, and **/ at any depth including the root', async () => {
    const i = await ig('cache/\n**/tmp')
    assert.ok(!ignored(i, 'cache') && ignored(i, 'cache/a') && ignored(i, 'x/cache/a'))
    assert.ok(ignored(i, 'tmp') && ignored(i, 'a/tmp') && ignored(i, 'a/tmp/b'))
  })
  it('let the first match win, with ! re-including', async () => {
    const i = await ig('!/photos/keep.jpg\n*.jpg\n!important.jpg')
    assert.ok(!ignored(i, 'photos/keep.jpg'))
    assert.ok(ignored(i, 'photos/other.jpg'))
    assert.ok(ignored(i, 'important.jpg'), 'a later ! never overrides an earlier match')
    const j = await ig('!a/b\na')
    assert.ok(!ignored(j, 'a/b') && ignored(j, 'a') && ignored(j, 'a/c'))
    assert.equal(j.skipIgnoredDirs, false, 'a nested ! forbids skipping ignored directories')
    assert.equal((await ig('!/top\n*')).skipIgnoredDirs, true, 'a top-level ! still allows it')
  })
  it('honour (?i) and (?d) in any order, and combined with !', async () => {
    const i = await ig('(?d)(?i).DS_Store\n(?i)!Keep*\n*.PNG')
    assert.deepEqual(i.match('a/.ds_store'), { ignored: true, deletable: true })
    assert.deepEqual(i.match('x.PNG'), { ignored: true, deletable: false })
    assert.ok(!ignored(i, 'x.png'), 'case-sensitive without (?i)')
    assert.ok(!ignored(i, 'KEEPME.PNG'))
    assert.ok(ignored(await compileIgnores('*.PNG', { caseInsensitive: true }), 'x.png'))
  })
  it('skip comments, blank lines and surrounding spaces; # is not a comment', async () => {
    const i = await ig('// comment\n\n   spaced   \r\n#emacs#')
    assert.deepEqual(i.patterns, ['spaced', '#emacs#'])
    assert.ok(ignored(i, 'spaced') && ignored(i, '#emacs#') && !ignored(i, 'comment'))
  })
  it('always ignore internal and temporary names, and never the root', async () => {
    for (const p of ['.stignore', '.stfolder', '.stversions/a/b', '.weft', 'a/.syncthing.x.tmp']) assert.ok(ignored(noIgnores, p), p)
    assert.ok(!ignored(noIgnores, 'a/.stignore') && !ignored(noIgnores, '') && !ignored(await ig('*'), ''))
    assert.ok(isInternal('.stfolder/x') && !isInternal('.stfolderx') && isTemporary('.syncthing.a.tmp') && !isTemporary('.syncthing.tmp'))
    assert.equal(normalizeName('./a/Cafe\u0301/'), 'a/Caf\u00e9')
  })
  it('match NFC names with NFD patterns', async () => {
    assert.ok(ignored(await ig('Cafe\u0301'), 'Caf\u00e9'))
  })
})

describe('#include', () => {
  it('splices patterns in place, relative to the including file', async () => {
    const i = await ig('!keep.tmp\n#include rules/common\nlast', { 'rules/common': '*.tmp\n#include more', 'rules/more': '/build' })
    assert.deepEqual(i.patterns, ['!keep.tmp', '*.tmp', '/build', 'last'])
    assert.ok(!ignored(i, 'keep.tmp') && ignored(i, 'x.tmp') && ignored(i, 'build/out') && !ignored(i, 'rules/build'))
  })
  it('reports loops, double includes and missing files clearly', async () => {
    await rejectsWith(ig('#include a', { a: '#include b', b: '#include ./a' }), 'INVALID_ARGUMENT', /include loop \.stignore -> a -> b -> a/)
    await rejectsWith(ig('#include .stignore'), 'INVALID_ARGUMENT', /include loop/)
    await rejectsWith(ig('#include a\n#include ./a', { a: 'x' }), 'INVALID_ARGUMENT', /included more than once/)
    await rejectsWith(ig('x\n#include nope'), 'NOT_FOUND', /\.stignore:2.*"nope" not found/)
    await rejectsWith(ig('#include'), 'INVALID_ARGUMENT', /expected "#include FILE"/)
    await rejectsWith(compileIgnores('#include a'), 'INVALID_ARGUMENT', /not available/)
  })
})

describe('loadIgnores', () => {
  it('reads .stignore and includes from the folder; no file means no patterns', async () => {
    const root = await mkdtemp(join(tmpdir(), 'weft-ignore-'))
    try {
      assert.equal(await loadIgnores(root), noIgnores)
      await mkdir(join(root, 'conf'))
      await writeFile(join(root, '.stignore'), '#include conf/shared\n*.log\n')
      await writeFile(join(root, 'conf', 'shared'), '(?d)Thumbs.db\n')
      const i = await loadIgnores(root)
      assert.ok(ignored(i, 'a/b.log') && i.match('x/Thumbs.db').deletable)
      await writeFile(join(root, '.stignore'), '#include conf/missing\n')
      await rejectsWith(loadIgnores(root), 'NOT_FOUND', /conf\/missing/)
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })
})

/**
 * Walker details: path lists reduced to their tops, names equal after NFC reported as errors,
 * special files skipped, sub-path walks never passing through symlinks, entries in name order.
 */
import { describe, it, beforeEach, afterEach } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compareNames } from './order.js'
import { minimalPaths, walkFolder } from './walker.js'
import type { WalkItem } from './walker.js'

async function collect (gen: AsyncGenerator<WalkItem>): Promise<WalkItem[]> {
  const items: WalkItem[] = []
  for await (const item of gen) items.push(item)
  return items
}

describe('walker', () => {
  let root = ''
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'weft-walk-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('reduces path lists to their tops', () => {
    assert.deepEqual(minimalPaths(['a/b', 'a', 'c/d', 'c/d/e', 'ab', 'a']), ['a', 'ab', 'c/d'])
    assert.deepEqual(minimalPaths(['x', '']), [''])
    assert.deepEqual(minimalPaths(['./q/']), ['q'])
    assert.deepEqual(minimalPaths(['a/b', 'a-b', 'a']), ['a', 'a-b'], 'a sub-path is dropped even when a sibling sorts between')
  })

  it('yields names in code point order of the whole name', async () => {
    for (const d of ['a', 'a/b', 'b']) await mkdir(join(root, d))
    for (const f of ['a-b', 'a.txt', 'a0', 'a/b/c', 'a/x', 'b/\uE000', 'b/😀', 'B']) await writeFile(join(root, f), f)
    const items = await collect(walkFolder(root))
    const got = items.map((i) => i.kind === 'entry' ? i.entry.name : `error ${i.name}`)
    assert.deepEqual(got, ['B', 'a', 'a-b', 'a.txt', 'a/b', 'a/b/c', 'a/x', 'a0', 'b', 'b/\uE000', 'b/😀'])
    assert.deepEqual([...got].sort(compareNames), got)
  })

  it('reports two names equal after NFC as an error instead of a second entry', async () => {
    await writeFile(join(root, '\u00e9'), 'nfc')
    await writeFile(join(root, 'e\u0301'), 'nfd')
    const items = await collect(walkFolder(root))
    assert.equal(items.filter((i) => i.kind === 'entry').length, 1)
    const errors = items.filter((i) => i.kind === 'error')
    assert.equal(errors.length, 1)
    assert.equal(errors[0]!.name, '\u00e9')
  })

  it('does not walk a sub-path through a symlinked parent', async () => {
    await mkdir(join(root, 'real'))
    await writeFile(join(root, 'real', 'f'), 'f')
    await symlink(join(root, 'real'), join(root, 'alias'))
    assert.deepEqual(await collect(walkFolder(root, { paths: ['alias/f'] })), [])
    const items = await collect(walkFolder(root, { paths: ['real/f', 'alias'] }))
    assert.deepEqual(items.map((i) => i.kind === 'entry' ? `${i.entry.name}:${i.entry.type}` : 'error').sort(), ['alias:symlink', 'real/f:file'])
  })
})

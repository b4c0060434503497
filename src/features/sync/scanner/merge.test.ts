/**
 * The scanner's merge of the walk with previous records read in pages gives the same changes,
 * deletions and errors as looking each name up, over random trees and random previous
 * records (fast-check, on real temporary folders): names chosen where UTF-16 and code point
 * order differ and where a directory's contents sort after its siblings.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { FileInfo } from '../types.js'
import { compareNames, isUnder } from './order.js'
import { decide, scanFolder } from './scanner.js'
import { walkFolder } from './walker.js'

const segment = fc.constantFrom('a', 'a-b', 'a.txt', 'a0', 'b', 'é', '😀', '\uE000')
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'))

/** What happens to a previous record before the second scan. */
const fate = fc.constantFrom('keep', 'drop', 'older', 'deleted', 'chmod')

/** The reference: one lookup per walked name, deletions from the set of names not seen. */
async function perName (root: string, previous: ReadonlyMap<string, FileInfo>, paths: string[] | undefined): Promise<{ changed: string[], deleted: string[] }> {
  const changed: string[] = []
  const seen = new Set<string>()
  for await (const item of walkFolder(root, { paths })) {
    if (item.kind !== 'entry') continue
    seen.add(item.entry.name)
    if (decide(item.entry, previous.get(item.entry.name)) !== 'unchanged') changed.push(item.entry.name)
  }
  const tops = paths ?? ['']
  const deleted = [...previous.values()]
    .filter((f) => !f.deleted && !seen.has(f.name) && tops.some((t) => isUnder(t, f.name)))
    .map((f) => f.name)
  return { changed: changed.sort(compareNames), deleted: deleted.sort(compareNames) }
}

describe('scan merge', () => {
  it('decides as per-name lookups would', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(path, { minLength: 1, maxLength: 12 }),
      fc.array(fate, { minLength: 40, maxLength: 40 }),
      fc.array(path, { maxLength: 4 }),
      fc.option(fc.array(path, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      fc.integer({ min: 1, max: 5 }),
      async (files, fates, extra, paths, pageSize) => {
        const root = await mkdtemp(join(tmpdir(), 'weft-merge-'))
        try {
          await mkdir(join(root, '.stfolder'))
          // A path that is a parent of another becomes a directory; the others are files.
          const all = new Set(files)
          for (const f of files) {
            const isDir = files.some((g) => g.startsWith(`${f}/`))
            if (isDir) await mkdir(join(root, f), { recursive: true })
            else {
              await mkdir(join(root, f, '..'), { recursive: true })
              await writeFile(join(root, f), f)
            }
            for (let slash = f.indexOf('/'); slash >= 0; slash = f.indexOf('/', slash + 1)) all.add(f.slice(0, slash))
          }
          const first = await scanFolder({ root, previous: () => undefined, previousPages: () => [] })
          const previous = new Map<string, FileInfo>()
          first.changed.forEach((f, i) => {
            const record: FileInfo = { ...f, version: [], sequence: 0, modifiedBy: 0n }
            switch (fates[i % fates.length]) {
              case 'drop': return
              case 'older': previous.set(f.name, { ...record, modifiedS: record.modifiedS - 10 }); return
              case 'deleted': previous.set(f.name, { ...record, deleted: true }); return
              case 'chmod': previous.set(f.name, { ...record, permissions: record.permissions ^ 0o100 }); return
              default: previous.set(f.name, record)
            }
          })
          extra.forEach((name, i) => {
            if (all.has(name) || previous.has(name)) return
            const record: FileInfo = { name, type: 'file', size: 1, permissions: 0o644, modifiedS: 1, modifiedNs: 0, modifiedBy: 0n, deleted: i % 2 === 1, invalid: false, noPermissions: false, version: [], sequence: 0, blockSize: 0, blocks: [], symlinkTarget: '' }
            previous.set(name, record)
          })
          const sorted = [...previous.values()].sort((a, b) => compareNames(a.name, b.name))
          const merged = await scanFolder({
            root,
            paths,
            previousPageSize: pageSize,
            previous: (name) => previous.get(name),
            previousPages: (after, limit) => sorted.filter((f) => compareNames(f.name, after) > 0).slice(0, limit)
          })
          const expected = await perName(root, previous, paths)
          assert.deepEqual(merged.errors, [])
          assert.deepEqual(merged.changed.map((f) => f.name).sort(compareNames), expected.changed)
          assert.deepEqual([...merged.deleted].sort(compareNames), expected.deleted)
        } finally {
          await rm(root, { recursive: true, force: true })
        }
      }), { numRuns: 40 })
  })
})

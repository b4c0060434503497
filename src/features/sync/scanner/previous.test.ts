/**
 * PreviousCursor: pages of previous records followed under one scanned path, and a source
 * out of name order stopping the scan instead of being trusted.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { WeftError } from '../../../core/errors.js'
import { compareNames } from './order.js'
import { PreviousCursor } from './previous.js'
import type { PreviousMeta, PreviousPages } from './previous.js'

function meta (name: string): PreviousMeta {
  return { name, type: 'file', size: 1, permissions: 0o644, modifiedS: 1, modifiedNs: 0, deleted: false, invalid: false, symlinkTarget: '' }
}

function source (names: string[]): { pages: PreviousPages, calls: number } {
  const sorted = names.map(meta).sort((a, b) => compareNames(a.name, b.name))
  const s = {
    calls: 0,
    pages: (after: string, limit: number) => {
      s.calls++
      return sorted.filter((r) => compareNames(r.name, after) > 0).slice(0, limit)
    }
  }
  return s
}

function drain (cursor: PreviousCursor): string[] {
  const out: string[] = []
  for (let r = cursor.peek(); r !== undefined; r = cursor.peek()) {
    out.push(r.name)
    cursor.take()
  }
  return out
}

const names = ['x', 'x-1', 'x.txt', 'x/1', 'x/2/z', 'x0', 'y', 'w']

describe('PreviousCursor', () => {
  it('reads the whole folder page by page, in name order', () => {
    const s = source(names)
    assert.deepEqual(drain(new PreviousCursor(s.pages, '', undefined, 3)), ['w', 'x', 'x-1', 'x.txt', 'x/1', 'x/2/z', 'x0', 'y'])
    assert.equal(s.calls, 3)
  })

  it('follows one path: its own record, then only the names under it', () => {
    const s = source(names)
    assert.deepEqual(drain(new PreviousCursor(s.pages, 'x', meta('x'), 2)), ['x', 'x/1', 'x/2/z'])
    assert.deepEqual(drain(new PreviousCursor(s.pages, 'x/2', undefined, 2)), ['x/2/z'])
    assert.deepEqual(drain(new PreviousCursor(s.pages, 'v', undefined, 2)), [])
  })

  it('refuses a source that is out of name order', () => {
    const backwards: PreviousPages = (after) => after === '' ? [meta('b'), meta('a')] : []
    assert.throws(() => drain(new PreviousCursor(backwards, '')), (err: unknown) => err instanceof WeftError && err.code === 'INTERNAL')
    const repeating: PreviousPages = () => [meta('a')]
    assert.throws(() => drain(new PreviousCursor(repeating, '', undefined, 1)), (err: unknown) => err instanceof WeftError && err.code === 'INTERNAL')
  })
})

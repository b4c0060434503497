/**
 * SPAKE2: same code gives the same key on both sides; a different code or context does not.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { Spake2, macEqual } from './spake2.js'

function run (codeA: string, codeB: string, ctxA = 'n1', ctxB = 'n1'): { a: ReturnType<Spake2['finish']>, b: ReturnType<Spake2['finish']> } {
  const a = new Spake2('A', codeA, ctxA)
  const b = new Spake2('B', codeB, ctxB)
  return { a: a.finish(b.message), b: b.finish(a.message) }
}

describe('spake2', () => {
  it('agrees on a key when both know the code', () => {
    const { a, b } = run('purple-sausage', 'purple-sausage')
    assert.ok(a.key.equals(b.key))
    assert.ok(macEqual(a.mine, b.theirs) && macEqual(b.mine, a.theirs))
  })
  it('disagrees with a wrong code or another nameplate', () => {
    for (const { a, b } of [run('purple-sausage', 'purple-sausages'), run('x', 'x', 'n1', 'n2')]) {
      assert.ok(!a.key.equals(b.key))
      assert.ok(!macEqual(a.mine, b.theirs))
    }
  })
  it('gives fresh messages every time', () => {
    assert.notDeepEqual(new Spake2('A', 'c', 'n').message, new Spake2('A', 'c', 'n').message)
  })
  it('refuses a malformed point', () => {
    assert.throws(() => new Spake2('A', 'c', 'n').finish(new Uint8Array(32).fill(0xff)))
  })
})

/**
 * LZ4 block codec: round trips (properties and edge sizes), hand-built blocks, hostile blocks
 * (impossible sizes, offsets before the start, overruns, truncation, random garbage), and, when
 * the reference `lz4` CLI is installed, interoperability in both directions through LZ4 frames.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { BepWireError } from './errors.js'
import { lz4CompressBlock, lz4CompressBound, lz4DecompressBlock } from './lz4.js'

const isLz4Error = (err: unknown): boolean => err instanceof BepWireError && err.code === 'PROTOCOL_ERROR' && err.reason === 'lz4'
const roundTrip = (data: Uint8Array): Uint8Array => lz4DecompressBlock(lz4CompressBlock(data), data.length)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Inputs with structure: runs, short periods (overlapping matches), text, and noise. */
const arbData: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat(300)), { maxLength: 20 }).map((parts) => {
    const out: number[] = []
    for (const [pattern, repeat] of parts) for (let i = 0; i < repeat; i++) out.push(...pattern)
    return Uint8Array.from(out)
  }),
  fc.array(fc.constantFrom('the ', 'quick ', 'brown ', 'fox ', '\n', 'a'), { maxLength: 400 }).map((w) => text(w.join('')))
)

function corpus (): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let n = 0; n <= 40; n++) out.push(Uint8Array.from({ length: n }, (_, i) => i % 3))
  out.push(new Uint8Array(100_000))
  out.push(text('abcdefgh'.repeat(10_000)))
  out.push(Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251 ^ (i >> 10)))
  let x = 12345
  out.push(Uint8Array.from({ length: 70_000 }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24))
  out.push(text(Array.from({ length: 5000 }, (_, i) => `file-${i % 97}.txt,${i * 31}\n`).join('')))
  return out
}

describe('LZ4 block round trips', () => {
  it('decompress(compress(x)) is x', () => {
    fc.assert(fc.property(arbData, (data) => {
      const block = lz4CompressBlock(data)
      assert.ok(block.length <= lz4CompressBound(data.length))
      assert.deepStrictEqual(lz4DecompressBlock(block, data.length), data)
    }), { numRuns: 300 })
  })

  it('handles edge sizes and large inputs, and compresses repetitive data well', () => {
    for (const data of corpus()) assert.deepStrictEqual(roundTrip(data), data)
    assert.ok(lz4CompressBlock(new Uint8Array(100_000)).length < 500)
    assert.deepStrictEqual(lz4CompressBlock(new Uint8Array(0)), Uint8Array.of(0))
  })

  it('keeps the block end rules: the last 5 bytes are literals', () => {
    const block = lz4CompressBlock(new Uint8Array(64))
    // 0 literals + match, then a final literal-only sequence of exactly 5 bytes
    assert.deepStrictEqual(block.subarray(block.length - 6), Uint8Array.of(0x50, 0, 0, 0, 0, 0))
  })

  it('decodes hand-built blocks, overlapping matches included', () => {
    // token 0x14: 1 literal 'a', match length 4+4=8 at offset 1, then token 0x10: literal 'b'
    assert.deepStrictEqual(lz4DecompressBlock(Uint8Array.of(0x14, 0x61, 0x01, 0x00, 0x10, 0x62), 10), text('aaaaaaaaab'))
    // 15 + 3 = 18 literals through a length extension
    const lits = text('abcdefghijklmnopqr')
    assert.deepStrictEqual(lz4DecompressBlock(Uint8Array.of(0xf0, 0x03, ...lits), 18), lits)
  })
})

describe('LZ4 hostile blocks', () => {
  it('refuses sizes the block cannot encode, before allocating', () => {
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x1f, 0x61, 0x01, 0x00, 0xff), 400_000_000), isLz4Error)
    assert.throws(() => lz4DecompressBlock(new Uint8Array(4), -1), isLz4Error)
    assert.throws(() => lz4DecompressBlock(new Uint8Array(4), 1.5), isLz4Error)
  })

  it('refuses a declared size that does not match what the block expands to', () => {
    const block = lz4CompressBlock(text('hello hello hello hello'))
    assert.throws(() => lz4DecompressBlock(block, 22), isLz4Error)
    assert.throws(() => lz4DecompressBlock(block, 24), isLz4Error)
  })

  it('refuses offsets of zero or before the start of the output', () => {
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x10, 0x61, 0x00, 0x00, 0x10, 0x62), 6), isLz4Error)
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x10, 0x61, 0x02, 0x00, 0x10, 0x62), 6), isLz4Error)
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x00, 0xff, 0xff, 0x10, 0x62), 5), isLz4Error)
  })

  it('refuses literals and matches running past either buffer', () => {
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x50, 0x61, 0x62), 5), isLz4Error) // 5 literals, 2 present
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x20, 0x61, 0x62), 1), isLz4Error) // output too small
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x1f, 0x61, 0x01, 0x00, 0x10, 0x10, 0x62), 10), isLz4Error) // match too long
  })

  it('refuses truncated blocks at every cut point', () => {
    const data = text('abcabcabcabcabcabcabcabc the end of the block is here')
    const block = lz4CompressBlock(data)
    for (let cut = 0; cut < block.length; cut++) {
      assert.throws(() => lz4DecompressBlock(block.subarray(0, cut), data.length), isLz4Error, `cut at ${cut}`)
    }
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0xf0, 0xff, 0xff), 600), isLz4Error) // cut inside a length
    assert.throws(() => lz4DecompressBlock(Uint8Array.of(0x10, 0x61, 0x01), 6), isLz4Error) // cut inside an offset
  })

  it('never throws anything but a BEP lz4 error on random input, nor returns the wrong size', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(2000), (block, size) => {
      try {
        assert.equal(lz4DecompressBlock(block, size).length, size)
      } catch (err) {
        assert.ok(isLz4Error(err), String(err))
      }
    }), { numRuns: 2000 })
  })
})

/** LZ4 frame header: magic, FLG 0x60 (v1, independent blocks, no checksums), BD 0x70 (4 MiB blocks), header checksum. */
const frameHeader = Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73)
const hasCli = spawnSync('lz4', ['--version'], { stdio: 'ignore' }).status === 0

function u32le (n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n, true)
  return b
}

describe('LZ4 interoperability with the reference implementation', { skip: hasCli ? false : 'lz4 CLI not installed' }, () => {
  it('the reference decoder accepts our blocks', () => {
    for (const data of corpus()) {
      const block = lz4CompressBlock(data)
      const frame = Buffer.concat([frameHeader, u32le(block.length), block, u32le(0)])
      const r = spawnSync('lz4', ['-d', '-c'], { input: frame, maxBuffer: 1 << 24 })
      assert.equal(r.status, 0, r.stderr.toString())
      assert.ok(Buffer.from(data).equals(r.stdout), `length ${data.length}`)
    }
  })

  it('we decode the reference encoder’s blocks (fast and high-compression modes)', () => {
    for (const level of ['-1', '-12']) {
      for (const data of corpus()) {
        if (data.length === 0) continue
        const r = spawnSync('lz4', [level, '-B7', '-BI', '--no-frame-crc', '-c'], { input: data, maxBuffer: 1 << 24 })
        assert.equal(r.status, 0, r.stderr.toString())
        const frame = new Uint8Array(r.stdout)
        assert.equal(frame[4], 0x60) // no content size: the header is 7 bytes
        const view = new DataView(frame.buffer, frame.byteOffset)
        const word = view.getUint32(7, true)
        if ((word & 0x80000000) !== 0) continue // stored uncompressed
        assert.deepStrictEqual(lz4DecompressBlock(frame.subarray(11, 11 + word), data.length), data)
        assert.equal(view.getUint32(11 + word, true), 0) // a single block, then the end mark
      }
    }
  })
})

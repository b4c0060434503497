/**
 * BEP framing: streams of Hello + messages decoded across arbitrary chunk boundaries, Syncthing's
 * compression rules, and the refusals: over-limit lengths (before any allocation), bad magics,
 * oversized headers, unknown types and compressions, truncation, corrupt LZ4, and a decoder
 * that stays failed after an error.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import type { FolderId } from '../types.js'
import { arbHello, arbMessage } from '../../../../test/support/sync/arbitraries.js'
import { BepWireError } from './errors.js'
import { BepDecoder, encodeFrame, encodeHello, type BepFrame } from './framing.js'
import { lz4CompressBlock } from './lz4.js'
import type { BepHello, BepMessage } from './messages.js'

const hello: BepHello = { deviceName: 'laptop', clientName: 'weft', clientVersion: '0.1.0', numConnections: 1, timestamp: 1_700_000_000_000_000_000n }
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const isError = (reason: string) => (err: unknown): boolean =>
  err instanceof BepWireError && err.code === 'PROTOCOL_ERROR' && err.reason === reason
const bigIndex: BepMessage = {
  type: 'index',
  folder: 'photos' as FolderId,
  files: Array.from({ length: 20 }, (_, i) => ({
    name: `2024/img_${i}.jpg`, type: 'file' as const, size: 1000 + i, permissions: 0o644, modifiedS: 1_700_000_000 + i, modifiedNs: 0,
    modifiedBy: 42n, deleted: false, invalid: false, noPermissions: false, version: [{ id: 42n, value: BigInt(i + 1) }], sequence: i + 1,
    blockSize: 131072, blocks: [], symlinkTarget: '', unsupported: [], ignored: []
  })),
  lastSequence: 20
}
const response = (data: Uint8Array): BepMessage => ({ type: 'response', id: 7, data, code: 'noError' })

/** Splits `bytes` at the given cut points (any values; taken modulo the length). */
function split (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    out.push(bytes.slice(from, p))
    from = p
  }
  return out
}

function decodeAll (chunks: Uint8Array[], decoder = new BepDecoder()): BepFrame[] {
  const frames = chunks.flatMap((c) => decoder.feed(c))
  decoder.end()
  return frames
}

describe('BEP framing round trips', () => {
  it('decodes a Hello and any messages, however the stream is chunked', () => {
    const arbMode = fc.constantFrom('metadata' as const, 'always' as const, 'never' as const)
    fc.assert(fc.property(arbHello, fc.array(arbMessage, { maxLength: 6 }), arbMode, fc.array(fc.nat(), { maxLength: 12 }), (h, messages, mode, cuts) => {
      const frames = messages.map((m) => encodeFrame(m, { compression: mode }))
      const stream = Buffer.concat([encodeHello(h), ...frames])
      const decoded = decodeAll(split(stream, cuts))
      assert.deepStrictEqual(decoded[0], { kind: 'hello', hello: h })
      assert.deepStrictEqual(decoded.slice(1).map((f) => f.kind === 'message' ? f.message : undefined), messages)
      assert.deepStrictEqual(decoded.slice(1).map((f) => f.kind === 'message' ? f.wireBytes : 0), frames.map((f) => f.length))
    }), { numRuns: 300 })
  })

  it('decodes a compressed message fed one byte at a time', () => {
    const frame = encodeFrame(bigIndex)
    const decoder = new BepDecoder({ expectHello: false })
    const frames: BepFrame[] = []
    for (const b of frame) frames.push(...decoder.feed(Uint8Array.of(b)))
    assert.deepStrictEqual(frames, [{ kind: 'message', message: bigIndex, compressed: true, wireBytes: frame.length }])
    assert.equal(decoder.bufferedBytes, 0)
    const long = response(Uint8Array.from({ length: 3000 }, (_, i) => i % 256))
    const longFrame = encodeFrame(long, { compression: 'never' })
    const bytewise: BepFrame[] = []
    for (const b of longFrame) bytewise.push(...decoder.feed(Uint8Array.of(b)))
    assert.deepStrictEqual(bytewise.map((f) => f.kind === 'message' ? f.message : undefined), [long])
  })

  it('gives an empty header to an uncompressed ClusterConfig (type 0, no compression)', () => {
    assert.deepStrictEqual(encodeFrame({ type: 'clusterConfig', folders: [], secondary: false }), hex('0000 00000000'))
    assert.deepStrictEqual(decodeAll([hex('0000 00000000')], new BepDecoder({ expectHello: false }))[0],
      { kind: 'message', message: { type: 'clusterConfig', folders: [], secondary: false }, compressed: false, wireBytes: 6 })
  })
})

describe('BEP compression choices (Syncthing rules)', () => {
  const compressed = (m: BepMessage, compression?: 'metadata' | 'always' | 'never'): boolean => {
    const f = new BepDecoder({ expectHello: false }).feed(encodeFrame(m, { compression }))[0]
    return f?.kind === 'message' && f.compressed
  }
  const zeros = new Uint8Array(4096)

  it('compresses metadata but not block data by default', () => {
    assert.equal(compressed(bigIndex), true)
    assert.equal(compressed(response(zeros)), false)
  })

  it('compresses responses when always, nothing when never', () => {
    assert.equal(compressed(response(zeros), 'always'), true)
    assert.equal(compressed(bigIndex, 'never'), false)
  })

  it('skips bodies under 128 bytes and compression that saves less than 1/32', () => {
    assert.equal(compressed({ type: 'close', reason: 'x'.repeat(100) }, 'always'), false)
    assert.equal(compressed({ type: 'close', reason: 'x'.repeat(200) }, 'always'), true)
    let x = 1
    const noise = Uint8Array.from({ length: 4096 }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24)
    assert.equal(compressed(response(noise), 'always'), false)
  })
})

describe('BEP framing limits', () => {
  const lengthOnly = (len: number): Uint8Array => Buffer.concat([hex('0002 0801'), hex(len.toString(16).padStart(8, '0'))])

  it('refuses an over-limit message length as soon as it is read, before any body byte', () => {
    const small = new BepDecoder({ expectHello: false, maxMessageBytes: 1000 })
    assert.deepStrictEqual(small.feed(lengthOnly(1000)), [])
    assert.throws(() => new BepDecoder({ expectHello: false, maxMessageBytes: 1000 }).feed(lengthOnly(1001)), isError('tooLarge'))
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(lengthOnly(0xffffffff)), isError('tooLarge'))
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(lengthOnly(500_000_001)), isError('tooLarge'))
  })

  it('does not allocate for a declared length until the bytes have arrived', () => {
    const before = process.memoryUsage().arrayBuffers
    const decoder = new BepDecoder({ expectHello: false })
    assert.deepStrictEqual(decoder.feed(Buffer.concat([lengthOnly(499_999_999), new Uint8Array(10)])), [])
    assert.ok(process.memoryUsage().arrayBuffers - before < 50_000_000)
    assert.equal(decoder.bufferedBytes, 10)
  })

  it('refuses an over-limit or impossible LZ4 uncompressed size without allocating it', () => {
    const lz4Frame = (size: number, block: Uint8Array): Uint8Array =>
      Buffer.concat([hex('0004 08011001'), hex((4 + block.length).toString(16).padStart(8, '0')), hex(size.toString(16).padStart(8, '0')), block])
    const block = lz4CompressBlock(new Uint8Array(2000))
    assert.throws(() => new BepDecoder({ expectHello: false, maxMessageBytes: 1000 }).feed(lz4Frame(2000, block)), isError('tooLarge'))
    const before = process.memoryUsage().arrayBuffers
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(lz4Frame(400_000_000, block)), isError('lz4'))
    assert.ok(process.memoryUsage().arrayBuffers - before < 50_000_000)
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(hex('0004 08011001 00000002 0000')), isError('truncated'))
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(lz4Frame(10, Uint8Array.of(0x10, 0x61, 0x05, 0x00))), isError('lz4'))
  })

  it('refuses to encode a message over the limit', () => {
    assert.throws(() => encodeFrame(response(new Uint8Array(2000)), { maxMessageBytes: 1000 }), isError('tooLarge'))
  })

  it('refuses header lengths above 32767 (negative as int16 in Syncthing)', () => {
    assert.throws(() => new BepDecoder({ expectHello: false }).feed(hex('8000')), isError('tooLarge'))
  })
})

describe('BEP framing refusals', () => {
  const messages = (bytes: Uint8Array): BepFrame[] => new BepDecoder({ expectHello: false }).feed(bytes)

  it('refuses wrong and pre-v0.14 Hello magics, and oversized Hellos', () => {
    assert.throws(() => new BepDecoder().feed(hex('deadbeef')), isError('badMagic'))
    assert.throws(() => new BepDecoder().feed(hex('9f79bc40')), (err: unknown) => isError('badMagic')(err) && /pre-v0.14/.test(String(err)))
    assert.throws(() => new BepDecoder().feed(hex('2ea7d90b 8000')), isError('tooLarge'))
    assert.throws(() => encodeHello({ ...hello, deviceName: 'x'.repeat(40_000) }), isError('tooLarge'))
  })

  it('refuses unknown message types and compressions', () => {
    assert.throws(() => messages(hex('0002 0809 00000000')), isError('unknownType'))
    assert.throws(() => messages(hex('0004 08011002 00000000')), isError('unknownType'))
  })

  it('refuses malformed headers and bodies', () => {
    assert.throws(() => messages(hex('0001 08 00000000')), isError('badMessage'))
    assert.throws(() => messages(hex('0002 0801 00000002 0a05')), isError('badMessage'))
  })

  it('reports a stream cut inside a frame at end()', () => {
    const frame = encodeFrame({ type: 'close', reason: 'bye' })
    for (let cut = 1; cut < frame.length; cut++) {
      const decoder = new BepDecoder({ expectHello: false })
      assert.deepStrictEqual(decoder.feed(frame.subarray(0, cut)), [])
      assert.throws(() => decoder.end(), isError('truncated'))
    }
    const helloOnly = new BepDecoder()
    helloOnly.feed(encodeHello(hello).subarray(0, 3))
    assert.throws(() => helloOnly.end(), isError('truncated'))
  })

  it('stays failed after an error, keeping the first error as the cause', () => {
    const decoder = new BepDecoder({ expectHello: false })
    assert.throws(() => decoder.feed(hex('0002 0809 00000000')), isError('unknownType'))
    assert.throws(() => decoder.feed(encodeFrame({ type: 'ping' })), (err: unknown) => isError('failed')(err) && isError('unknownType')((err as Error).cause))
    assert.throws(() => decoder.next(), isError('failed'))
    assert.throws(() => decoder.end(), isError('failed'))
  })

  it('delivers frames decoded before an error through next()', () => {
    const decoder = new BepDecoder({ expectHello: false })
    decoder.push(Buffer.concat([encodeFrame({ type: 'ping' }), hex('0002 0809 00000000')]))
    assert.deepStrictEqual(decoder.next(), { kind: 'message', message: { type: 'ping' }, compressed: false, wireBytes: 8 })
    assert.throws(() => decoder.next(), isError('unknownType'))
  })
})

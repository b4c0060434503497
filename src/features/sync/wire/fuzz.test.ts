/**
 * Fuzzing the BEP decoders with fast-check, in bounded time: random bytes and mutated valid
 * streams (bytes flipped, cut, inserted), fed in random chunks, to the stream decoder with and
 * without a Hello, and random bodies to every message decoder. Whatever the input, decoding
 * either yields frames or throws a BepWireError (never another error, never a hang), and the
 * decoder never holds more than it was given.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { BepDecoder, encodeFrame, encodeHello } from './framing.js'
import { decodeMessage } from './messages.js'
import { BepWireError } from './errors.js'
import { arbHello, arbMessage } from '../../../../test/support/sync/arbitraries.js'

/** Each property stops after this long (fast-check's interruptAfterTimeLimit), whatever numRuns says. */
const budgetMs = 4000

/** Feeds `chunks` to a decoder; returns the frames, or the BepWireError that stopped it. */
function decode (chunks: Uint8Array[], expectHello: boolean, maxMessageBytes = 1 << 20): { frames: number, error?: BepWireError } {
  const decoder = new BepDecoder({ expectHello, maxMessageBytes })
  let frames = 0
  let given = 0
  try {
    for (const chunk of chunks) {
      given += chunk.length
      decoder.push(chunk)
      for (let f = decoder.next(); f !== undefined; f = decoder.next()) frames++
      assert.ok(decoder.bufferedBytes <= given, 'the decoder holds no more than it was given')
    }
    decoder.end()
    return { frames }
  } catch (err) {
    if (!(err instanceof BepWireError)) throw new Error(`not a BepWireError: ${String(err)}`, { cause: err })
    assert.equal(err.code, 'PROTOCOL_ERROR')
    return { frames, error: err }
  }
}

/** Cuts `bytes` at the given points. */
function chunked (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of points) { out.push(bytes.subarray(last, p)); last = p }
  out.push(bytes.subarray(last))
  return out
}

type Mutation = { kind: 'flip', at: number, bit: number } | { kind: 'cut', at: number } | { kind: 'insert', at: number, bytes: Uint8Array }

const arbMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) })
)

function mutate (bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes)
  for (const m of mutations) {
    if (out.length === 0) break
    const at = m.at % out.length
    if (m.kind === 'flip') out[at] = (out[at] ?? 0) ^ (1 << m.bit)
    else if (m.kind === 'cut') out = out.subarray(0, at)
    else out = Uint8Array.from([...out.subarray(0, at), ...m.bytes, ...out.subarray(at)])
  }
  return out
}

describe('BEP decoders under fuzzing (bounded time)', () => {
  it('random bytes, with or without a Hello, give frames or a BepWireError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (bytes, cuts, expectHello) => {
      decode(chunked(bytes, cuts), expectHello)
    }), { numRuns: 3000, interruptAfterTimeLimit: budgetMs })
  })

  it('random bytes behind a valid magic and Hello length, and behind a valid header, are refused cleanly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), fc.nat(0xffff), fc.nat(7), fc.nat(2), (bytes, len, type, compression) => {
      const hello = Uint8Array.from([0x2e, 0xa7, 0xd9, 0x0b, len >> 8, len & 0xff, ...bytes])
      decode([hello], true)
      const header = compression === 0 ? [0x08, type] : [0x08, type, 0x10, compression]
      const frame = Uint8Array.from([0, header.length, ...header, 0, 0, (bytes.length >> 8) & 0xff, bytes.length & 0xff, ...bytes])
      decode([frame], false)
    }), { numRuns: 3000, interruptAfterTimeLimit: budgetMs })
  })

  it('mutated valid streams (flipped, cut, inserted bytes) give frames or a BepWireError', () => {
    const arbStream = fc.tuple(arbHello, fc.array(arbMessage, { maxLength: 4 }), fc.constantFrom<'metadata' | 'always' | 'never'>('metadata', 'always', 'never'))
    fc.assert(fc.property(arbStream, fc.array(arbMutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), ([h, messages, mode], mutations, cuts) => {
      const parts = [encodeHello(h), ...messages.map((m) => encodeFrame(m, { compression: mode }))]
      const stream = Uint8Array.from(parts.flatMap((p) => [...p]))
      decode(chunked(mutate(stream, mutations), cuts), true, 64 * 1024 * 1024)
    }), { numRuns: 1500, interruptAfterTimeLimit: budgetMs })
  })

  it('random bodies for every message type decode or throw a BepWireError', () => {
    fc.assert(fc.property(fc.integer({ min: -1, max: 9 }), fc.uint8Array({ maxLength: 1024 }), (type, body) => {
      try {
        decodeMessage(type, body)
      } catch (err) {
        if (!(err instanceof BepWireError)) throw new Error(`type ${type}: not a BepWireError: ${String(err)}`, { cause: err })
      }
    }), { numRuns: 5000, interruptAfterTimeLimit: budgetMs })
  })

  it('a stream that declares more than the limit is refused with no more than the length read', () => {
    fc.assert(fc.property(fc.integer({ min: (1 << 20) + 1, max: 0xffffffff }), (len) => {
      const frame = Uint8Array.from([0, 2, 0x08, 1, len >>> 24, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff])
      const result = decode([frame], false)
      assert.equal(result.error?.reason, 'tooLarge')
    }), { numRuns: 500, interruptAfterTimeLimit: budgetMs })
  })
})

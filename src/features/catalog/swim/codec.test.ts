/**
 * The gossip wire format: every packet round-trips, `sizeOf` is exact (the state machine
 * fills packets with it), and random or mangled bytes either decode or fail with a
 * PROTOCOL_ERROR, never anything else.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import fc from 'fast-check'
import { WeftError } from '../../../core/errors.js'
import { decodePacket, encodePacket, sizeOf } from './codec.js'
import type { IdCodec } from './codec.js'
import type { Message, Packet } from './types.js'

const known = ['a', 'b', 'c', 'd']
const ids: IdCodec = {
  encode: (id) => { const b = Buffer.alloc(8); b.write(id); return b },
  decode: (bytes) => { const s = Buffer.from(bytes).toString().replace(/\0+$/, ''); return known.includes(s) ? s : undefined }
}
const id = fc.constantFrom(...known)
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ t: fc.constant('ping' as const), seq: u32, target: id }),
  fc.record({ t: fc.constant('ack' as const), seq: u32 }),
  fc.record({ t: fc.constant('ping-req' as const), seq: u32, target: id }),
  fc.record({ t: fc.constant('nack' as const), seq: u32 }),
  fc.record({ t: fc.constant('alive' as const), id, inc: u32 }),
  fc.record({ t: fc.constant('left' as const), id, inc: u32 }),
  fc.record({ t: fc.constant('suspect' as const), id, inc: u32, from: id }),
  fc.record({ t: fc.constant('dead' as const), id, inc: u32, from: id }),
  fc.record({ t: fc.constant('sync' as const), join: fc.boolean(), reply: fc.boolean(), members: fc.array(fc.record({ id, inc: u32, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const, 'left' as const) }), { maxLength: 20 }) })
)
const packet: fc.Arbitrary<Packet> = fc.record({ msgs: fc.array(message, { maxLength: 30 }) })

describe('gossip codec', () => {
  it('round-trips every packet, and sizeOf is the encoded length', () => {
    fc.assert(fc.property(packet, (p) => {
      const bytes = encodePacket(p, ids)
      assert.equal(bytes.length, sizeOf(p))
      const { packet: back, unknownIds } = decodePacket(bytes, ids)
      assert.equal(unknownIds, 0)
      assert.deepEqual(back, JSON.parse(JSON.stringify(p)))
    }))
  })

  it('leaves out and counts messages about IDs that are not members', () => {
    const p: Packet = { msgs: [{ t: 'dead', id: 'a', inc: 1, from: 'b' }, { t: 'alive', id: 'c', inc: 2 }] }
    const bytes = encodePacket(p, ids)
    const strict: IdCodec = { ...ids, decode: (b) => { const s = ids.decode(b); return s === 'a' ? undefined : s } }
    const { packet: back, unknownIds } = decodePacket(bytes, strict)
    assert.equal(unknownIds, 1)
    assert.deepEqual(back.msgs, [{ t: 'alive', id: 'c', inc: 2 }])
  })

  it('rejects random and truncated bytes with PROTOCOL_ERROR only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), packet, fc.nat(), (junk, p, cut) => {
      const whole = encodePacket(p, ids)
      for (const bytes of [junk, whole.subarray(0, cut % (whole.length + 1)), Buffer.concat([whole, Buffer.from([0])])]) {
        try {
          decodePacket(bytes, ids)
        } catch (err) {
          assert.ok(err instanceof WeftError && err.code === 'PROTOCOL_ERROR', String(err))
        }
      }
    }))
    assert.throws(() => decodePacket(Buffer.concat([encodePacket({ msgs: [{ t: 'ack', seq: 1 }] }, ids), Buffer.from([9])]), ids), /trailing/)
  })

  it('refuses a sync that claims more members than its bytes hold', () => {
    const b = Buffer.from([1, 1, 9, 0, 0xff, 0xff, 0xff, 0xff])
    assert.throws(() => decodePacket(b, ids), (err: unknown) => err instanceof WeftError && err.code === 'PROTOCOL_ERROR')
  })
})

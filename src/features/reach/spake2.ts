/**
 * SPAKE2 (RFC 9382) over ristretto255, for `weft send`'s short codes: both ends prove they
 * know the same low-entropy code without revealing it, and an attacker gets one online guess
 * per exchange (nothing to brute-force offline). M and N are hashed to the group (RFC 9380) so
 * nobody knows their discrete logs. Both sides then confirm the shared key with HMACs over the
 * transcript before anything is offered or sent.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'

const order = ristretto255.Point.Fn.ORDER
const M = ristretto255_hasher.hashToCurve(new TextEncoder().encode('weft spake2 M'))
const N = ristretto255_hasher.hashToCurve(new TextEncoder().encode('weft spake2 N'))

function scalarOf (bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex')}`) % order
}

/** One side of an exchange: `A` (the receiver, who starts) or `B` (the sender). */
export class Spake2 {
  readonly #role: 'A' | 'B'
  readonly #w: bigint
  readonly #x: bigint
  readonly #context: string
  /** This side's message. */
  readonly message: Uint8Array

  constructor (role: 'A' | 'B', password: string, context: string) {
    this.#role = role
    this.#context = context
    this.#w = scalarOf(createHash('sha512').update('weft spake2 w\0').update(context).update('\0').update(password).digest())
    this.#x = 1n + scalarOf(randomBytes(64)) % (order - 1n)
    const blind = role === 'A' ? M : N
    this.message = ristretto255.Point.BASE.multiply(this.#x).add(blind.multiply(this.#w)).toBytes()
  }

  /** The shared key and both confirmations, from the other side's message; throws on a malformed point. */
  finish (other: Uint8Array): { key: Buffer, mine: Buffer, theirs: Buffer } {
    const peer = ristretto255.Point.fromBytes(other)
    const unblind = this.#role === 'A' ? N : M
    const k = peer.subtract(unblind.multiply(this.#w)).multiply(this.#x)
    const [a, b] = this.#role === 'A' ? [this.message, other] : [other, this.message]
    const transcript = createHash('sha256').update('weft spake2 v1\0').update(this.#context).update('\0').update(a).update(b).update(k.toBytes()).update(this.#w.toString(16)).digest()
    const key = createHmac('sha256', transcript).update('key').digest()
    const confirm = (role: string): Buffer => createHmac('sha256', transcript).update(`confirm ${role}`).digest()
    return { key, mine: confirm(this.#role), theirs: confirm(this.#role === 'A' ? 'B' : 'A') }
  }
}

/** Constant-time comparison of two MACs. */
export function macEqual (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b)
}

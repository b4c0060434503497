/**
 * Small helpers between protobufjs and domain values: decoding with unknown fields kept (so
 * they can be reported), encoding, and checked conversions of 64-bit integers (protobufjs Longs)
 * to JS numbers (sizes, sequences, offsets: must fit in 2^53) or bigints (IDs, counters).
 */
import protobuf from 'protobufjs'
import { WeftError } from '../../../core/errors.js'
import { BepWireError } from './errors.js'
import type { Int64, Unknowns } from './schema.js'

/** Decodes `bytes` as `type`, keeping unknown fields in `$unknowns`; malformed input is a BepWireError. */
export function decodeAs<T> (type: protobuf.Type, bytes: Uint8Array): T {
  try {
    const reader = protobuf.Reader.create(bytes)
    reader.discardUnknown = false
    // The shape of what protobufjs returns is fixed by the schema, which the Pb* types mirror.
    return type.decode(reader) as unknown as T
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new BepWireError('badMessage', `malformed ${type.name}: ${message}`, { cause: err })
  }
}

/** Encodes a plain object shaped like `type` (defaults are omitted, fields in number order). */
export function encodeAs (type: protobuf.Type, value: object): Uint8Array {
  return type.encode(value).finish()
}

/** Field numbers of the unknown fields protobufjs kept on a decoded message. */
export function unknownFields (m: Unknowns): number[] {
  const out: number[] = []
  for (const raw of m.$unknowns ?? []) {
    let tag = 0
    let shift = 0
    for (const b of raw) {
      tag += (b & 0x7f) * 2 ** shift
      shift += 7
      if ((b & 0x80) === 0 || shift > 35) break
    }
    out.push(Math.floor(tag / 8))
  }
  return out
}

function toBigInt (v: Int64, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v)
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0)
  return unsigned ? bits : BigInt.asIntN(64, bits)
}

/** A uint64 field as a bigint in [0, 2^64). */
export function u64 (v: Int64): bigint {
  return BigInt.asUintN(64, toBigInt(v, true))
}

/** A signed int64 field as a bigint. */
export function i64 (v: Int64): bigint {
  return toBigInt(v, false)
}

/**
 * An int64 field that must be a non-negative safe integer (size, offset, sequence), or any safe
 * integer when `signed` (modification seconds). Out-of-range values are a protocol error.
 */
export function i64Number (v: Int64, what: string, signed = false): number {
  const n = toBigInt(v, false)
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < (signed ? BigInt(Number.MIN_SAFE_INTEGER) : 0n)) {
    throw new BepWireError('badMessage', `${what} out of range: ${n}`)
  }
  return Number(n)
}

/** A non-negative int32 field (block size, request size); negatives are a protocol error. */
export function nonNegative (n: number, what: string): number {
  if (n < 0) throw new BepWireError('badMessage', `${what} is negative: ${n}`)
  return n
}

/** A bigint as the Long-like value protobufjs writes; refuses values outside the field's range. */
export function longOf (v: bigint, unsigned: boolean, what: string): protobuf.Long {
  const ok = unsigned ? v >= 0n && v < 1n << 64n : v >= -(1n << 63n) && v < 1n << 63n
  if (!ok) throw new WeftError('INVALID_ARGUMENT', `${what} out of range for ${unsigned ? 'uint64' : 'int64'}: ${v}`)
  const bits = BigInt.asUintN(64, v)
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned }
}

/** A number for an int64 field: must be a safe integer (and non-negative unless `signed`). */
export function int64Of (n: number, what: string, signed = false): number {
  if (!Number.isSafeInteger(n) || (!signed && n < 0)) throw new WeftError('INVALID_ARGUMENT', `${what} must be a ${signed ? '' : 'non-negative '}safe integer: ${n}`)
  return n
}

/** A number for an int32 field: an integer in range (and non-negative unless `signed`). */
export function int32Of (n: number, what: string, signed = false): number {
  if (!Number.isInteger(n) || n > 0x7fffffff || n < (signed ? -0x80000000 : 0)) {
    throw new WeftError('INVALID_ARGUMENT', `${what} out of int32 range: ${n}`)
  }
  return n
}

/** A copy of a decoded bytes field as a plain Uint8Array (protobufjs yields [] when absent, Buffers under Node). */
export function bytesOf (b: Uint8Array | readonly number[] | undefined): Uint8Array {
  return b instanceof Uint8Array ? new Uint8Array(b) : new Uint8Array(0)
}

/** A decoded bytes field as a plain Uint8Array view, without copying (for large payloads). */
export function bytesView (b: Uint8Array | readonly number[] | undefined): Uint8Array {
  return b instanceof Uint8Array ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(0)
}

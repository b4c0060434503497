/**
 * Version vectors, with the semantics of Syncthing's lib/protocol/vector.go: counters sorted by
 * short device ID (unsigned 64-bit), a missing counter counts as zero, `update` sets this
 * device's counter to max(current + 1, now in Unix seconds), `merge` takes the per-device max.
 * Pure functions over immutable values: the caller passes the clock.
 */
import { WeftError } from '../../../core/errors.js'
import { base32Encode } from '../../../core/base32.js'
import type { BepDeviceId, Counter, Ordering, ShortId, Vector } from '../types.js'

/**
 * How two vectors relate, keeping Syncthing's two flavours of "concurrent": the direction is set
 * by the lowest short ID whose counters differ. It gives a stable tie-break between concurrent
 * versions (`concurrentGreater` wins a conflict whose modification times are equal).
 */
export type DetailedOrdering = 'equal' | 'greater' | 'lesser' | 'concurrentGreater' | 'concurrentLesser'

const maxU64 = (1n << 64n) - 1n

/** The empty vector: strictly older than any vector with a non-zero counter. */
export const emptyVector: Vector = Object.freeze([])

/**
 * Compares `a` to `b` as Syncthing's `Vector.Compare` does, including the direction of
 * concurrent vectors. Zero counters are the same as missing ones.
 */
export function compareVectorsDetailed (a: Vector, b: Vector): DetailedOrdering {
  let ai = 0
  let bi = 0
  let result: 'equal' | 'greater' | 'lesser' = 'equal'
  while (ai < a.length || bi < b.length) {
    const ac = a[ai]
    const bc = b[bi]
    let av = 0n
    let bv = 0n
    if (ac !== undefined && (bc === undefined || ac.id < bc.id)) {
      av = ac.value
      ai++
    } else if (bc !== undefined && (ac === undefined || bc.id < ac.id)) {
      bv = bc.value
      bi++
    } else if (ac !== undefined && bc !== undefined) {
      av = ac.value
      bv = bc.value
      ai++
      bi++
    }
    if (av > bv) {
      if (result === 'lesser') return 'concurrentLesser'
      result = 'greater'
    } else if (av < bv) {
      if (result === 'greater') return 'concurrentGreater'
      result = 'lesser'
    }
  }
  return result
}

/** Compares `a` to `b`: `greater` when `a` strictly dominates, `concurrent` when neither does. */
export function compareVectors (a: Vector, b: Vector): Ordering {
  const o = compareVectorsDetailed(a, b)
  return o === 'concurrentGreater' || o === 'concurrentLesser' ? 'concurrent' : o
}

/** True when `a` is equal to or newer than `b` (Syncthing's `GreaterEqual`). */
export function vectorGreaterEqual (a: Vector, b: Vector): boolean {
  const o = compareVectorsDetailed(a, b)
  return o === 'equal' || o === 'greater'
}

/** The value of one device's counter (0 when absent). */
export function counterOf (v: Vector, id: ShortId): bigint {
  return v.find((c) => c.id === id)?.value ?? 0n
}

/**
 * Records a change made by device `id`: its counter becomes max(current + 1, nowSeconds), as in
 * Syncthing (the clock term keeps counters from going backwards after a database reset). Pass
 * 0 for a pure logical counter. Returns a new vector.
 */
export function updateVector (v: Vector, id: ShortId, nowSeconds: number | bigint): Vector {
  checkId(id)
  const now = BigInt(nowSeconds)
  const out: Counter[] = []
  let done = false
  for (const c of v) {
    if (!done && c.id === id) {
      out.push({ id, value: max(c.value + 1n, now) })
      done = true
    } else {
      if (!done && c.id > id) {
        out.push({ id, value: max(1n, now) })
        done = true
      }
      out.push({ id: c.id, value: c.value })
    }
  }
  if (!done) out.push({ id, value: max(1n, now) })
  return out
}

/** The per-device maximum of two vectors (Syncthing's `Merge`), without zero counters. */
export function mergeVectors (a: Vector, b: Vector): Vector {
  const out: Counter[] = []
  let ai = 0
  let bi = 0
  while (ai < a.length || bi < b.length) {
    const ac = a[ai]
    const bc = b[bi]
    let next: Counter
    if (ac !== undefined && (bc === undefined || ac.id < bc.id)) {
      next = ac
      ai++
    } else if (bc !== undefined && (ac === undefined || bc.id < ac.id)) {
      next = bc
      bi++
    } else {
      // Both present with the same id (the loop condition rules out both undefined).
      const x = ac as Counter
      const y = bc as Counter
      next = x.value >= y.value ? x : y
      ai++
      bi++
    }
    if (next.value > 0n) out.push({ id: next.id, value: next.value })
  }
  return out
}

/**
 * Brings any list of counters into canonical form: sorted by id, one counter per id (the
 * largest), zero counters dropped. Use it on vectors decoded from the wire.
 */
export function normalizeVector (counters: readonly Counter[]): Vector {
  const byId = new Map<ShortId, bigint>()
  for (const c of counters) {
    checkId(c.id)
    if (c.value < 0n || c.value > maxU64) throw new WeftError('INVALID_ARGUMENT', `counter value out of range: ${c.value}`)
    byId.set(c.id, max(byId.get(c.id) ?? 0n, c.value))
  }
  return [...byId].filter(([, value]) => value > 0n).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([id, value]) => ({ id, value }))
}

/**
 * The short ID of a device: the first 8 bytes of its 32-byte ID, big-endian, as an unsigned
 * bigint. Takes the hex form (64 characters) or the raw bytes.
 */
export function shortId (device: BepDeviceId | Uint8Array): ShortId {
  let bytes: Uint8Array
  if (typeof device === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(device)) throw new WeftError('INVALID_ARGUMENT', 'a BEP device ID is 64 hex characters')
    bytes = Buffer.from(device, 'hex')
  } else {
    if (device.length !== 32) throw new WeftError('INVALID_ARGUMENT', `a BEP device ID is 32 bytes, got ${device.length}`)
    bytes = device
  }
  let id = 0n
  for (let i = 0; i < 8; i++) id = (id << 8n) | BigInt(bytes[i] ?? 0)
  return id
}

/**
 * The text form of a short ID, as Syncthing's `ShortID.String`: the first 7 base32 characters
 * of its 8 big-endian bytes (equal to the first 7 characters of the full device ID), or `''`
 * for 0 (unknown modifier).
 */
export function shortIdString (id: ShortId): string {
  checkId(id)
  if (id === 0n) return ''
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setBigUint64(0, id)
  return base32Encode(bytes).slice(0, 7)
}

/** Text form of a vector for logs: `<16 hex>:<value>,...` like Syncthing's `String`. */
export function formatVector (v: Vector): string {
  return v.map((c) => `${c.id.toString(16).padStart(16, '0')}:${c.value}`).join(',')
}

function checkId (id: ShortId): void {
  if (id < 0n || id > maxU64) throw new WeftError('INVALID_ARGUMENT', `short ID out of range: ${id}`)
}

function max (x: bigint, y: bigint): bigint {
  return x > y ? x : y
}

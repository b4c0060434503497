/**
 * Self-certifying DHT records, in the way of IPNS: the key is `/weft/<hex SHA-256 of an
 * Ed25519 public key>`, and the value carries that public key, a sequence number (ms since
 * the epoch), an opaque payload and a signature over all of it. Any DHT node can check a
 * record without knowing what it means, so nobody without the private key can overwrite it,
 * and the newest sequence wins. The payload is opaque here: the network layer encrypts it
 * and derives the key pair from the network secret, so only members can read or publish.
 *
 * Value layout: u8 version (1) | 32-byte public key | u64 seq | u16 payload length | payload
 * | 64-byte signature over ("weft-dht-record-v1" | key | seq | payload).
 */
import { createHash } from 'node:crypto'
import { keyFromSeed, verifyEd25519 } from '../../identity/device-key.js'

/** Key namespace of weft records in the DHT. */
export const recordNamespace = 'weft'
/** Largest payload a record may carry. */
export const maxPayloadBytes = 2048
const context = Buffer.from('weft-dht-record-v1')
const headerBytes = 1 + 32 + 8 + 2

/** A decoded record. */
export interface WeftRecord {
  publicKey: Uint8Array
  seq: bigint
  payload: Uint8Array
}

/** The DHT key of the records signed by `publicKey`. */
export function recordKey (publicKey: Uint8Array): Uint8Array {
  return Buffer.from(`/${recordNamespace}/${createHash('sha256').update(publicKey).digest('hex')}`)
}

function signed (key: Uint8Array, seq: bigint, payload: Uint8Array): Buffer {
  const seqBytes = Buffer.alloc(8)
  seqBytes.writeBigUInt64BE(seq)
  return Buffer.concat([context, key, seqBytes, payload])
}

/** Builds and signs a record with the key pair of `seed`; returns its DHT key and value. */
export function encodeRecord (seed: Uint8Array, seq: bigint, payload: Uint8Array): { key: Uint8Array, value: Uint8Array } {
  if (payload.length > maxPayloadBytes) throw new RangeError(`record payload of ${payload.length} bytes exceeds ${maxPayloadBytes}`)
  const pair = keyFromSeed(seed)
  const key = recordKey(pair.publicKey)
  const header = Buffer.alloc(headerBytes)
  header.writeUInt8(1, 0)
  Buffer.from(pair.publicKey).copy(header, 1)
  header.writeBigUInt64BE(seq, 33)
  header.writeUInt16BE(payload.length, 41)
  return { key, value: Buffer.concat([header, payload, pair.sign(signed(key, seq, payload))]) }
}

/** Decodes and verifies a record found under `key`; throws a plain Error saying why it is invalid. */
export function decodeRecord (key: Uint8Array, value: Uint8Array): WeftRecord {
  const buf = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (buf.length < headerBytes + 64) throw new Error('record too short')
  if (buf.readUInt8(0) !== 1) throw new Error(`unknown record version ${buf.readUInt8(0)}`)
  const publicKey = new Uint8Array(buf.subarray(1, 33))
  const seq = buf.readBigUInt64BE(33)
  const length = buf.readUInt16BE(41)
  if (length > maxPayloadBytes || buf.length !== headerBytes + length + 64) throw new Error('record length mismatch')
  if (!Buffer.from(recordKey(publicKey)).equals(Buffer.from(key))) throw new Error('record key does not match its public key')
  const payload = new Uint8Array(buf.subarray(headerBytes, headerBytes + length))
  if (!verifyEd25519(publicKey, signed(key, seq, payload), buf.subarray(headerBytes + length))) throw new Error('bad record signature')
  return { publicKey, seq, payload }
}

/** Index of the newest valid record among `values` (for the DHT's selector); invalid ones lose. */
export function selectNewest (key: Uint8Array, values: Uint8Array[]): number {
  let best = 0
  let bestSeq = -1n
  values.forEach((value, i) => {
    try {
      const { seq } = decodeRecord(key, value)
      if (seq > bestSeq) {
        best = i
        bestSeq = seq
      }
    } catch { /* invalid: never selected over a valid one */ }
  })
  return best
}

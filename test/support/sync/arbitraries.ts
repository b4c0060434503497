/**
 * Test support only (imported by the BEP wire tests; outside src/, so never shipped): fast-check generators
 * of every BEP message in the canonical form decoding produces (NFC names, normalized vectors,
 * empty decode notes), so `decode(encode(m))` must equal `m` exactly.
 */
import fc from 'fast-check'
import { normalizeVector } from '../../../src/features/sync/model/vector.js'
import type { BepDeviceId, FolderId, Vector } from '../../../src/features/sync/types.js'
import type { BepDevice, BepFolder } from '../../../src/features/sync/wire/clusterconfig.js'
import type { BepFileInfo } from '../../../src/features/sync/wire/fileinfo.js'
import type { BepHello, BepMessage, BepProgressUpdate } from '../../../src/features/sync/wire/messages.js'

const maxU64 = (1n << 64n) - 1n
/** Plain objects, as decoding yields them (deepStrictEqual compares prototypes). */
const nn = { noNullPrototype: true }
/** Any uint64, with the extremes likely. */
export const arbU64: fc.Arbitrary<bigint> = fc.oneof(fc.constantFrom(0n, 1n, maxU64, 1n << 63n), fc.bigInt({ min: 0n, max: maxU64 }))
/** Non-negative safe integers, small ones likely. */
export const arbNat: fc.Arbitrary<number> = fc.oneof(fc.nat(1000), fc.maxSafeNat())
const arbI32Nat = fc.nat(0x7fffffff)
const arbText = fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => s.normalize('NFC'))
const arbBytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max })
const arbHash = arbBytes(32, 32)
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Canonical version vectors (possibly empty). */
export const arbVector: fc.Arbitrary<Vector> = fc.array(fc.record({ id: arbU64, value: arbU64 }, nn), { maxLength: 4 }).map((cs) => normalizeVector(cs))

/** FileInfo records as decoding yields them. */
export const arbFileInfo: fc.Arbitrary<BepFileInfo> = fc.record({
  name: arbText,
  type: fc.constantFrom('file' as const, 'directory' as const, 'symlink' as const),
  size: arbNat,
  permissions: fc.nat(0o777),
  modifiedS: fc.oneof(fc.integer({ min: -1e10, max: 1e10 }), fc.maxSafeInteger()),
  modifiedNs: fc.nat(999_999_999),
  modifiedBy: arbU64,
  deleted: fc.boolean(),
  invalid: fc.boolean(),
  noPermissions: fc.boolean(),
  version: arbVector,
  sequence: arbNat,
  blockSize: arbI32Nat,
  blocks: fc.array(fc.record({ offset: arbNat, size: arbI32Nat, hash: arbHash }, nn), { maxLength: 3 }),
  symlinkTarget: arbText,
  blocksHash: arbHash,
  previousBlocksHash: arbHash,
  unsupported: fc.constant([]),
  ignored: fc.constant([])
}, { noNullPrototype: true, requiredKeys: ['name', 'type', 'size', 'permissions', 'modifiedS', 'modifiedNs', 'modifiedBy', 'deleted', 'invalid', 'noPermissions', 'version', 'sequence', 'blockSize', 'blocks', 'symlinkTarget', 'unsupported', 'ignored'] })

const arbDevice: fc.Arbitrary<BepDevice> = fc.record({
  id: arbHash.map((b) => hex(b) as BepDeviceId),
  name: arbText,
  addresses: fc.array(arbText, { maxLength: 3 }),
  compression: fc.constantFrom('metadata' as const, 'never' as const, 'always' as const),
  certName: arbText,
  maxSequence: arbNat,
  introducer: fc.boolean(),
  indexId: arbU64,
  skipIntroductionRemovals: fc.boolean(),
  encryptionPasswordToken: fc.constant(new Uint8Array(0))
}, nn)

const arbFolder: fc.Arbitrary<BepFolder> = fc.record({
  id: arbText.map((s) => s as FolderId),
  label: arbText,
  type: fc.constantFrom('sendreceive' as const, 'sendonly' as const, 'receiveonly' as const),
  ignorePermissions: fc.boolean(),
  ignoreDelete: fc.boolean(),
  disableTempIndexes: fc.boolean(),
  paused: fc.boolean(),
  devices: fc.array(arbDevice, { maxLength: 3 })
}, nn).map((f) => ({ ...f, readOnly: f.type === 'sendonly', unsupported: [], ignored: [] }))

const arbUpdate: fc.Arbitrary<BepProgressUpdate> = fc.record({
  updateType: fc.constantFrom('append' as const, 'forget' as const),
  name: arbText,
  version: arbVector,
  blockIndexes: fc.array(arbI32Nat, { maxLength: 5 }),
  blockSize: arbI32Nat
}, nn)

const arbFolderId = arbText.map((s) => s as FolderId)
const arbI32 = fc.integer({ min: -0x80000000, max: 0x7fffffff })

/** Every post-Hello message type. */
export const arbMessage: fc.Arbitrary<BepMessage> = fc.oneof(
  fc.record({ type: fc.constant('clusterConfig' as const), folders: fc.array(arbFolder, { maxLength: 3 }), secondary: fc.boolean() }, nn),
  fc.record({ type: fc.constant('index' as const), folder: arbFolderId, files: fc.array(arbFileInfo, { maxLength: 4 }), lastSequence: arbNat }, nn),
  fc.record({
    type: fc.constant('indexUpdate' as const), folder: arbFolderId, files: fc.array(arbFileInfo, { maxLength: 4 }), lastSequence: arbNat, prevSequence: arbNat
  }, nn),
  fc.record({
    type: fc.constant('request' as const), id: arbI32, folder: arbFolderId, name: arbText, offset: arbNat, size: arbI32Nat,
    hash: arbHash, fromTemporary: fc.boolean(), blockNo: arbI32Nat
  }, nn),
  fc.record({
    type: fc.constant('response' as const), id: arbI32, data: arbBytes(0, 300),
    code: fc.constantFrom('noError' as const, 'generic' as const, 'noSuchFile' as const, 'invalidFile' as const)
  }, nn),
  fc.record({ type: fc.constant('downloadProgress' as const), folder: arbFolderId, updates: fc.array(arbUpdate, { maxLength: 3 }) }, nn),
  fc.constant({ type: 'ping' as const }),
  fc.record({ type: fc.constant('close' as const), reason: arbText }, nn)
)

/** Hellos, timestamps over the whole int64 range. */
export const arbHello: fc.Arbitrary<BepHello> = fc.record({
  deviceName: arbText,
  clientName: arbText,
  clientVersion: arbText,
  numConnections: arbI32Nat,
  timestamp: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })
}, nn)

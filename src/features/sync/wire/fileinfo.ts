/**
 * FileInfo and version vectors between the domain (types.ts) and BEP protobuf records. Decoding
 * never guesses: whatever weft cannot represent faithfully (encrypted-folder records, unknown
 * entry types, non-NFC names, odd hashes) is listed in `unsupported` and such a record must not
 * be applied; what weft drops on purpose (ownership/xattr platform data, unknown fields,
 * permission bits above 0o777) is listed in `ignored`.
 */
import { createHash } from 'node:crypto'
import { normalizeVector } from '../model/vector.js'
import type { BlockInfo, FileInfo, FileType, Vector } from '../types.js'
import { bytesOf, bytesView, i64Number, int32Of, int64Of, longOf, nonNegative, u64, unknownFields } from './pb.js'
import type { PbFileInfo, PbVector } from './schema.js'

/** A FileInfo as it crosses the wire: the domain record plus BEP-only fields and decode notes. */
export interface BepFileInfo extends FileInfo {
  /** SHA-256 over the concatenated block hashes (Syncthing's `blocks_hash`), when the sender set it. */
  blocksHash?: Uint8Array
  /** `blocks_hash` of the version this one replaced (Syncthing 2.x conflict detection), when set. */
  previousBlocksHash?: Uint8Array
  /**
   * Set on decode. Features present that weft cannot honour, e.g. `encrypted`, `type:7`,
   * `name:notNFC`, `symlinkTarget:notUTF8`, `blocks:hashLength`. A record with any entry must not
   * be applied (log and refuse it).
   */
  unsupported?: string[]
  /**
   * Set on decode. Data present that weft drops on purpose, safe to apply without: `platform`
   * (ownership, xattrs), `permissions:high` (bits above 0o777), `field:N` (unknown fields).
   */
  ignored?: string[]
}

/** BEP FileInfoType numbers weft sends (file 0, directory 1, symlink 4). */
const typeCodes: Record<FileType, number> = { file: 0, directory: 1, symlink: 4 }

/** Decodes a BEP FileInfoType; the deprecated symlink kinds 2 and 3 are symlinks. */
function fileTypeOf (code: number): FileType | undefined {
  switch (code) {
    case 0: return 'file'
    case 1: return 'directory'
    case 2: case 3: case 4: return 'symlink'
    default: return undefined
  }
}

/** Fields Syncthing keeps host-local (local_flags, version_hash, ...): numbered from 1000, never meaningful on the wire. */
const firstLocalField = 1000
const hashBytes = 32
const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/** Syncthing's blocks_hash: SHA-256 over the concatenation of the block hashes. */
export function computeBlocksHash (blocks: readonly BlockInfo[]): Uint8Array {
  const h = createHash('sha256')
  for (const b of blocks) h.update(b.hash)
  return new Uint8Array(h.digest())
}

/** A version vector as a protobuf Vector (counters in the given order, which the domain keeps sorted). */
export function vectorToPb (v: Vector): object {
  return { counters: v.map((c) => ({ id: longOf(c.id, true, 'counter id'), value: longOf(c.value, true, 'counter value') })) }
}

/** A decoded protobuf Vector in canonical form (sorted, one counter per id, no zeros). */
export function vectorFromPb (v: PbVector | null | undefined): Vector {
  return normalizeVector((v?.counters ?? []).map((c) => ({ id: u64(c.id), value: u64(c.value) })))
}

/** A FileInfo as the object protobufjs encodes. `inode` and decode notes are never sent. */
export function fileInfoToPb (f: BepFileInfo): object {
  return {
    name: f.name,
    type: typeCodes[f.type],
    size: int64Of(f.size, 'size'),
    permissions: int32Of(f.permissions, 'permissions'),
    modifiedS: int64Of(f.modifiedS, 'modifiedS', true),
    deleted: f.deleted,
    invalid: f.invalid,
    noPermissions: f.noPermissions,
    // Syncthing always sends a version (an empty message for an empty vector); so do we.
    version: vectorToPb(f.version),
    sequence: int64Of(f.sequence, 'sequence'),
    modifiedNs: int32Of(f.modifiedNs, 'modifiedNs', true),
    modifiedBy: longOf(f.modifiedBy, true, 'modifiedBy'),
    blockSize: int32Of(f.blockSize, 'blockSize'),
    blocks: f.blocks.map((b) => ({ offset: int64Of(b.offset, 'block offset'), size: int32Of(b.size, 'block size'), hash: b.hash })),
    symlinkTarget: utf8Encoder.encode(f.symlinkTarget),
    blocksHash: f.blocksHash,
    previousBlocksHash: f.previousBlocksHash
  }
}

/**
 * A decoded protobuf FileInfo as a domain record with notes. Out-of-range numbers (negative or
 * above 2^53 sizes, sequences, offsets) are a protocol error; unrepresentable features are
 * flagged (see {@link BepFileInfo}).
 */
export function fileInfoFromPb (w: PbFileInfo): BepFileInfo {
  const unsupported: string[] = []
  const ignored: string[] = []
  let type = fileTypeOf(w.type)
  let invalid = w.invalid
  if (type === undefined) {
    unsupported.push(`type:${w.type}`)
    type = 'file'
    invalid = true
  }
  if (w.encrypted.length > 0) unsupported.push('encrypted')
  if (w.name !== w.name.normalize('NFC')) unsupported.push('name:notNFC')
  let symlinkTarget = ''
  try {
    symlinkTarget = utf8.decode(bytesView(w.symlinkTarget))
  } catch {
    unsupported.push('symlinkTarget:notUTF8')
  }
  const blocks: BlockInfo[] = w.blocks.map((b) => ({
    offset: i64Number(b.offset, 'block offset'),
    size: nonNegative(b.size, 'block size'),
    hash: bytesOf(b.hash)
  }))
  if (blocks.some((b) => b.hash.length !== hashBytes)) unsupported.push('blocks:hashLength')
  if (w.platform.length > 0) ignored.push('platform')
  if ((w.permissions & ~0o777) !== 0) ignored.push('permissions:high')
  for (const n of unknownFields(w)) if (n < firstLocalField) ignored.push(`field:${n}`)

  const out: BepFileInfo = {
    name: w.name,
    type,
    size: i64Number(w.size, 'size'),
    permissions: w.permissions & 0o777,
    modifiedS: i64Number(w.modifiedS, 'modifiedS', true),
    modifiedNs: w.modifiedNs,
    modifiedBy: u64(w.modifiedBy),
    deleted: w.deleted,
    invalid,
    noPermissions: w.noPermissions,
    version: vectorFromPb(w.version),
    sequence: i64Number(w.sequence, 'sequence'),
    blockSize: nonNegative(w.blockSize, 'block size'),
    blocks,
    symlinkTarget,
    unsupported,
    ignored
  }
  if (w.blocksHash.length > 0) out.blocksHash = bytesOf(w.blocksHash)
  if (w.previousBlocksHash.length > 0) out.previousBlocksHash = bytesOf(w.previousBlocksHash)
  return out
}

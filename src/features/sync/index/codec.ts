/**
 * Compact column encodings of the sync index: version vectors as 16 bytes per counter
 * (short ID, value; both u64 big-endian), block lists as 44 bytes per block (offset u64, size
 * u32, SHA-256), short IDs as 8 bytes, and the BEP numbers of file types. Rows of the `files`
 * table convert to and from FileInfo here.
 */
import { WeftError } from '../../../core/errors.js'
import type { BlockInfo, Counter, FileInfo, FileType, ShortId, Vector } from '../types.js'

const counterBytes = 16
const blockBytes = 44
const hashBytes = 32

/** BEP FileInfoType numbers (file 0, directory 1, symlink 4). */
const typeCodes: Record<FileType, number> = { file: 0, directory: 1, symlink: 4 }

/** Encodes a file type as its BEP number. */
export function encodeType (type: FileType): number {
  return typeCodes[type]
}

/** Decodes a BEP file type number. */
export function decodeType (code: number): FileType {
  switch (code) {
    case 0: return 'file'
    case 1: return 'directory'
    case 4: return 'symlink'
    default: throw corrupt(`unknown file type ${code}`)
  }
}

/** Encodes a version vector. */
export function encodeVector (v: Vector): Buffer {
  const out = Buffer.alloc(v.length * counterBytes)
  v.forEach((c, i) => {
    out.writeBigUInt64BE(c.id, i * counterBytes)
    out.writeBigUInt64BE(c.value, i * counterBytes + 8)
  })
  return out
}

/** Decodes a version vector. */
export function decodeVector (bytes: Uint8Array): Vector {
  if (bytes.length % counterBytes !== 0) throw corrupt('bad version vector length')
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const out: Counter[] = []
  for (let o = 0; o < buf.length; o += counterBytes) out.push({ id: buf.readBigUInt64BE(o), value: buf.readBigUInt64BE(o + 8) })
  return out
}

/** Encodes a block list. */
export function encodeBlocks (blocks: readonly BlockInfo[]): Buffer {
  const out = Buffer.alloc(blocks.length * blockBytes)
  blocks.forEach((b, i) => {
    if (b.hash.length !== hashBytes) throw new WeftError('INVALID_ARGUMENT', `block hash must be ${hashBytes} bytes`)
    const o = i * blockBytes
    out.writeBigUInt64BE(BigInt(b.offset), o)
    out.writeUInt32BE(b.size, o + 8)
    out.set(b.hash, o + 12)
  })
  return out
}

/** Decodes a block list. */
export function decodeBlocks (bytes: Uint8Array): BlockInfo[] {
  if (bytes.length % blockBytes !== 0) throw corrupt('bad block list length')
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  const out: BlockInfo[] = []
  for (let o = 0; o < buf.length; o += blockBytes) {
    out.push({ offset: Number(buf.readBigUInt64BE(o)), size: buf.readUInt32BE(o + 8), hash: new Uint8Array(buf.subarray(o + 12, o + blockBytes)) })
  }
  return out
}

/** Encodes a short ID as 8 big-endian bytes. */
export function encodeShortId (id: ShortId): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64BE(id)
  return out
}

/** Decodes 8 big-endian bytes into a short ID. */
export function decodeShortId (bytes: Uint8Array): ShortId {
  if (bytes.length !== 8) throw corrupt('bad short ID length')
  return Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64BE(0)
}

/** A row of the `files` table (column names as in the schema). */
export interface FileRow {
  id: number
  device_idx: number
  name: string
  sequence: number
  type: number
  size: number
  permissions: number
  modified_s: number
  modified_ns: number
  modified_by: Uint8Array
  deleted: number
  invalid: number
  no_permissions: number
  locally_changed: number
  version: Uint8Array
  block_size: number
  blocks: Uint8Array
  symlink_target: string
  inode: number | null
}

const fileColumnNames = ['name', 'sequence', 'type', 'size', 'permissions', 'modified_s', 'modified_ns', 'modified_by',
  'deleted', 'invalid', 'no_permissions', 'locally_changed', 'version', 'block_size', 'blocks', 'symlink_target', 'inode']
/**
 * Inserts or replaces one device's record of a name; returns the row ID. Positional
 * parameters: the folder index, the device index, then {@link fileValues}.
 */
export const upsertFileSql = `INSERT INTO files (folder_idx, device_idx, ${fileColumnNames.join(', ')})
  VALUES (?, ?, ${fileColumnNames.map(() => '?').join(', ')})
  ON CONFLICT (folder_idx, name, device_idx) DO UPDATE SET
  ${fileColumnNames.filter((c) => c !== 'name').map((c) => `${c} = excluded.${c}`).join(', ')}
  RETURNING id`

/** Column values for inserting a FileInfo, in the order of {@link upsertFileSql} after the folder and device. */
export function fileValues (f: FileInfo, locallyChanged: boolean): Array<string | number | Buffer | null> {
  return [
    f.name,
    f.sequence,
    encodeType(f.type),
    f.size,
    f.permissions,
    f.modifiedS,
    f.modifiedNs,
    encodeShortId(f.modifiedBy),
    f.deleted ? 1 : 0,
    f.invalid ? 1 : 0,
    f.noPermissions ? 1 : 0,
    locallyChanged ? 1 : 0,
    encodeVector(f.version),
    f.blockSize,
    encodeBlocks(f.blocks),
    f.symlinkTarget,
    f.inode ?? null
  ]
}

/** The FileInfo a row holds. */
export function rowToFile (r: FileRow): FileInfo {
  const f: FileInfo = {
    name: r.name,
    type: decodeType(r.type),
    size: r.size,
    permissions: r.permissions,
    modifiedS: r.modified_s,
    modifiedNs: r.modified_ns,
    modifiedBy: decodeShortId(r.modified_by),
    deleted: r.deleted !== 0,
    invalid: r.invalid !== 0,
    noPermissions: r.no_permissions !== 0,
    version: decodeVector(r.version),
    sequence: r.sequence,
    blockSize: r.block_size,
    blocks: decodeBlocks(r.blocks),
    symlinkTarget: r.symlink_target
  }
  if (r.inode !== null) f.inode = r.inode
  return f
}

function corrupt (what: string): WeftError {
  return new WeftError('CONFIG_INVALID', `sync index is corrupt: ${what}`)
}

/**
 * ClusterConfig folder and device records between the domain and BEP protobuf. Bridges the 1.x
 * and 2.x forms of Folder (see schema.ts): `type` is the 2.x FolderType, `readOnly` its 1.x view
 * (send-only); `paused` is stop reason 1. Encrypted-folder sharing and unknown enum values are
 * flagged in `unsupported`, never mapped to something that looks normal.
 */
import { WeftError } from '../../../core/errors.js'
import type { BepDeviceId, FolderId, FolderType } from '../types.js'
import { BepWireError } from './errors.js'
import { bytesOf, i64Number, int64Of, longOf, u64, unknownFields } from './pb.js'
import type { PbDevice, PbFolder } from './schema.js'

/** A device's compression preference (BEP Compression). */
export type BepCompression = 'metadata' | 'never' | 'always'

/** A folder's type as the announcing device configured it (BEP FolderType, 2.x). */
export type BepFolderType = FolderType | 'receiveencrypted'

/** One device sharing a folder, as a ClusterConfig announces it. */
export interface BepDevice {
  id: BepDeviceId
  name: string
  addresses: string[]
  compression: BepCompression
  certName: string
  /** Highest sequence of this device's index the sender has (for delta indexes). */
  maxSequence: number
  introducer: boolean
  /** The index ID that `maxSequence` refers to (uint64). */
  indexId: bigint
  skipIntroductionRemovals: boolean
  /** Non-empty when the folder is shared encrypted with this device (unsupported by weft). */
  encryptionPasswordToken: Uint8Array
}

/** One folder of a ClusterConfig. */
export interface BepFolder {
  id: FolderId
  label: string
  type: BepFolderType
  /** 1.x view of `type`: true exactly when `type` is `sendonly`. Encoding checks they agree. */
  readOnly: boolean
  /** 1.x only (2.x neither sends nor reads it). */
  ignorePermissions: boolean
  /** 1.x only. */
  ignoreDelete: boolean
  /** 1.x only. */
  disableTempIndexes: boolean
  paused: boolean
  devices: BepDevice[]
  /**
   * Set on decode. What weft cannot honour, e.g. `type:receiveencrypted`, `type:9`,
   * `stopReason:5`, `device:<hex>:encryptionPasswordToken`, `device:<hex>:compression:7`.
   * Do not act on such a folder's sharing without logging and refusing the parts listed.
   */
  unsupported?: string[]
  /** Set on decode: unknown fields (`field:N`) dropped. */
  ignored?: string[]
}

const folderTypes: readonly BepFolderType[] = ['sendreceive', 'sendonly', 'receiveonly', 'receiveencrypted']
const compressions: readonly BepCompression[] = ['metadata', 'never', 'always']
const deviceIdBytes = 32

/** A folder as the object protobufjs encodes. */
export function folderToPb (f: BepFolder): object {
  if (f.readOnly !== (f.type === 'sendonly')) {
    throw new WeftError('INVALID_ARGUMENT', `folder ${f.id}: readOnly=${f.readOnly} contradicts type ${f.type}`)
  }
  return {
    id: f.id,
    label: f.label,
    type: folderTypes.indexOf(f.type),
    ignorePermissions: f.ignorePermissions,
    ignoreDelete: f.ignoreDelete,
    disableTempIndexes: f.disableTempIndexes,
    stopReason: f.paused ? 1 : 0,
    devices: f.devices.map(deviceToPb)
  }
}

function deviceToPb (d: BepDevice): object {
  if (!/^[0-9a-f]{64}$/.test(d.id)) throw new WeftError('INVALID_ARGUMENT', `device ID must be 64 lowercase hex characters: ${d.id}`)
  return {
    id: Buffer.from(d.id, 'hex'),
    name: d.name,
    addresses: d.addresses,
    compression: compressions.indexOf(d.compression),
    certName: d.certName,
    maxSequence: int64Of(d.maxSequence, 'maxSequence'),
    introducer: d.introducer,
    indexId: longOf(d.indexId, true, 'indexId'),
    skipIntroductionRemovals: d.skipIntroductionRemovals,
    encryptionPasswordToken: d.encryptionPasswordToken
  }
}

/** A decoded protobuf Folder as a domain record with notes; malformed device IDs are a protocol error. */
export function folderFromPb (w: PbFolder): BepFolder {
  const unsupported: string[] = []
  let type = folderTypes[w.type]
  if (type === undefined) {
    unsupported.push(`type:${w.type}`)
    type = 'receiveonly'
  } else if (type === 'receiveencrypted') {
    unsupported.push('type:receiveencrypted')
  }
  if (w.stopReason !== 0 && w.stopReason !== 1) unsupported.push(`stopReason:${w.stopReason}`)
  const devices = w.devices.map((d) => deviceFromPb(d, unsupported))
  return {
    id: w.id as FolderId,
    label: w.label,
    type,
    readOnly: type === 'sendonly',
    ignorePermissions: w.ignorePermissions,
    ignoreDelete: w.ignoreDelete,
    disableTempIndexes: w.disableTempIndexes,
    // Unknown stop reasons: not running, to be safe.
    paused: w.stopReason !== 0,
    devices,
    unsupported,
    ignored: unknownFields(w).map((n) => `field:${n}`)
  }
}

function deviceFromPb (w: PbDevice, unsupported: string[]): BepDevice {
  if (w.id.length !== deviceIdBytes) throw new BepWireError('badMessage', `device ID of ${w.id.length} bytes in ClusterConfig`)
  const id = Buffer.from(w.id).toString('hex') as BepDeviceId
  let compression = compressions[w.compression]
  if (compression === undefined) {
    unsupported.push(`device:${id}:compression:${w.compression}`)
    compression = 'metadata'
  }
  const token = bytesOf(w.encryptionPasswordToken)
  if (token.length > 0) unsupported.push(`device:${id}:encryptionPasswordToken`)
  return {
    id,
    name: w.name,
    addresses: [...w.addresses],
    compression,
    certName: w.certName,
    maxSequence: i64Number(w.maxSequence, 'maxSequence'),
    introducer: w.introducer,
    indexId: u64(w.indexId),
    skipIntroductionRemovals: w.skipIntroductionRemovals,
    encryptionPasswordToken: token
  }
}

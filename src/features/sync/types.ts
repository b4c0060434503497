/**
 * Domain types of folder sync, on the model of Syncthing's Block Exchange Protocol v1 (BEP):
 * files described by FileInfo records with version vectors, per-device sequence numbers,
 * SHA-256 block lists. These are the types the scanner, index, puller and session share;
 * the wire encoding (BEP protobuf) converts to and from them at the boundary (wire/).
 */
import type { Brand } from '../../core/ids.js'

/** A folder's ID, the same on every device sharing it (e.g. `abcd-1234`). */
export type FolderId = Brand<string, 'FolderId'>

/**
 * A BEP device ID: 32 bytes. Between weft devices it is the device's Ed25519 public key; for a
 * Syncthing peer it is the SHA-256 of its certificate. Hex (64 lowercase characters) in code.
 */
export type BepDeviceId = Brand<string, 'BepDeviceId'>

/** The short form of a device ID used in version vectors: its first 8 bytes, big-endian. */
export type ShortId = bigint

/** One entry of a version vector. */
export interface Counter {
  id: ShortId
  value: bigint
}

/** A version vector, counters sorted by id, no zero values. */
export type Vector = readonly Counter[]

/** How two vectors relate. */
export type Ordering = 'equal' | 'greater' | 'lesser' | 'concurrent'

/** Kinds of entries (BEP FileInfoType values). */
export type FileType = 'file' | 'directory' | 'symlink'

/** One block of a file. */
export interface BlockInfo {
  offset: number
  size: number
  /** SHA-256 of the block's bytes (32 bytes). */
  hash: Uint8Array
}

/**
 * A file, directory or symlink as one device announces it. `name` is relative to the folder
 * root, `/`-separated, Unicode NFC.
 */
export interface FileInfo {
  name: string
  type: FileType
  size: number
  /** Unix permission bits (0o777 part). */
  permissions: number
  /** Modification time: whole seconds and nanoseconds. */
  modifiedS: number
  modifiedNs: number
  /** Short ID of the device that last changed it. */
  modifiedBy: ShortId
  deleted: boolean
  /** Announced but not available from this device (ignored, unreadable, ...). */
  invalid: boolean
  noPermissions: boolean
  version: Vector
  /** Position in the announcing device's change log for this folder. */
  sequence: number
  blockSize: number
  blocks: readonly BlockInfo[]
  symlinkTarget: string
  /** Local-only: inode number seen at scan (for change detection); never sent. */
  inode?: number
}

/** Folder types, with Syncthing's meaning. */
export type FolderType = 'sendreceive' | 'sendonly' | 'receiveonly'

/** Versioning of files replaced or deleted by remote changes. */
export type VersioningConfig =
  | { type: 'none' }
  | { type: 'trashcan', cleanoutDays: number }
  | { type: 'simple', keep: number }

/** What BEP's delta index exchange tracks per remote device and folder. */
export interface IndexPosition {
  /** Random 64-bit ID of the sender's index; a new one means "start over". */
  indexId: bigint
  /** Highest sequence received (or sent). */
  maxSequence: number
}

/** Folder-local names weft and Syncthing reserve; never synced, refused from peers. */
export const internalNames = ['.stfolder', '.stignore', '.stversions', '.weft'] as const

/** Prefix of temporary files while pulling (Syncthing's convention). */
export const tempPrefix = '.syncthing.'
/** Suffix of temporary files while pulling. */
export const tempSuffix = '.tmp'

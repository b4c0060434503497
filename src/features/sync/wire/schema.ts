/**
 * The BEP v1 protobuf schema, written for protobufjs from the field names and numbers of
 * Syncthing's bep.proto (lib/protocol/bep.proto in 1.x, proto/bep/bep.proto in 2.x), plus the
 * TypeScript shapes of decoded messages. Where 1.x and 2.x differ the numbers are compatible on
 * the wire: Folder field 3 was `bool read_only` (= FolderType 1, send-only) and field 7
 * `bool paused` (= FolderStopReason 1); fields 4-6 are 1.x-only bools that 2.x reserves;
 * `symlink_target` was a string and is now bytes. PlatformData (ownership, xattrs) is kept as
 * opaque bytes: weft never applies it.
 */
import protobuf from 'protobufjs'

const source = `
syntax = "proto3";
package bep;

message Hello {
  string device_name = 1;
  string client_name = 2;
  string client_version = 3;
  int32 num_connections = 4;
  int64 timestamp = 5;
}

message Header {
  int32 type = 1;         // MessageType: 0 ClusterConfig .. 7 Close
  int32 compression = 2;  // MessageCompression: 0 none, 1 LZ4
}

message ClusterConfig {
  repeated Folder folders = 1;
  bool secondary = 2;
}

message Folder {
  string id = 1;
  string label = 2;
  int32 type = 3;                    // FolderType (1.x: bool read_only)
  bool ignore_permissions = 4;       // 1.x only
  bool ignore_delete = 5;            // 1.x only
  bool disable_temp_indexes = 6;     // 1.x only
  int32 stop_reason = 7;             // FolderStopReason (1.x: bool paused)
  repeated Device devices = 16;
}

message Device {
  bytes id = 1;
  string name = 2;
  repeated string addresses = 3;
  int32 compression = 4;             // 0 metadata, 1 never, 2 always
  string cert_name = 5;
  int64 max_sequence = 6;
  bool introducer = 7;
  uint64 index_id = 8;
  bool skip_introduction_removals = 9;
  bytes encryption_password_token = 10;
}

message Index {
  string folder = 1;
  repeated FileInfo files = 2;
  int64 last_sequence = 3;
}

message IndexUpdate {
  string folder = 1;
  repeated FileInfo files = 2;
  int64 last_sequence = 3;
  int64 prev_sequence = 4;
}

message FileInfo {
  string name = 1;
  int32 type = 2;                    // 0 file, 1 directory, 2/3 legacy symlinks, 4 symlink
  int64 size = 3;
  uint32 permissions = 4;
  int64 modified_s = 5;
  bool deleted = 6;
  bool invalid = 7;
  bool no_permissions = 8;
  Vector version = 9;
  int64 sequence = 10;
  int32 modified_ns = 11;
  uint64 modified_by = 12;
  int32 block_size = 13;
  bytes platform = 14;               // PlatformData, opaque
  repeated BlockInfo blocks = 16;
  bytes symlink_target = 17;
  bytes blocks_hash = 18;
  bytes encrypted = 19;
  bytes previous_blocks_hash = 20;
}

message BlockInfo {
  int64 offset = 1;
  int32 size = 2;
  bytes hash = 3;
}

message Vector {
  repeated Counter counters = 1;
}

message Counter {
  uint64 id = 1;
  uint64 value = 2;
}

message Request {
  int32 id = 1;
  string folder = 2;
  string name = 3;
  int64 offset = 4;
  int32 size = 5;
  bytes hash = 6;
  bool from_temporary = 7;
  int32 block_no = 9;
}

message Response {
  int32 id = 1;
  bytes data = 2;
  int32 code = 3;                    // 0 no error, 1 generic, 2 no such file, 3 invalid file
}

message DownloadProgress {
  string folder = 1;
  repeated FileDownloadProgressUpdate updates = 2;
}

message FileDownloadProgressUpdate {
  int32 update_type = 1;             // 0 append, 1 forget
  string name = 2;
  Vector version = 3;
  repeated int32 block_indexes = 4 [packed = false];
  int32 block_size = 5;
}

message Ping {}

message Close {
  string reason = 1;
}
`

/**
 * The parsed schema. Enums are declared as int32: identical on the wire (varint), and it keeps
 * unknown values visible as numbers instead of silently mapping them.
 */
export const bepRoot: protobuf.Root = protobuf.parse(source).root

function type (name: string): protobuf.Type {
  return bepRoot.lookupType(`bep.${name}`)
}

/** The protobufjs types of BEP's top-level messages. */
export const bepTypes = {
  Hello: type('Hello'),
  Header: type('Header'),
  ClusterConfig: type('ClusterConfig'),
  Index: type('Index'),
  IndexUpdate: type('IndexUpdate'),
  Request: type('Request'),
  Response: type('Response'),
  DownloadProgress: type('DownloadProgress'),
  Ping: type('Ping'),
  Close: type('Close')
} as const

/** A 64-bit value as protobufjs decodes it (a Long) or accepts it (also a plain number). */
export type Int64 = protobuf.Long | number

/** A decoded bytes field: protobufjs yields a Uint8Array (a Buffer under Node), or [] when absent. */
export type PbBytes = Uint8Array | number[]

/** A decoded message may carry the raw bytes of fields the schema does not know. */
export interface Unknowns {
  $unknowns?: Uint8Array[]
}

/** Decoded Hello. */
export interface PbHello { deviceName: string, clientName: string, clientVersion: string, numConnections: number, timestamp: Int64 }
/** Decoded Header. */
export interface PbHeader { type: number, compression: number }
/** Decoded Device. */
export interface PbDevice extends Unknowns {
  id: PbBytes, name: string, addresses: string[], compression: number, certName: string, maxSequence: Int64,
  introducer: boolean, indexId: Int64, skipIntroductionRemovals: boolean, encryptionPasswordToken: PbBytes
}
/** Decoded Folder. */
export interface PbFolder extends Unknowns {
  id: string, label: string, type: number, ignorePermissions: boolean, ignoreDelete: boolean, disableTempIndexes: boolean,
  stopReason: number, devices: PbDevice[]
}
/** Decoded ClusterConfig. */
export interface PbClusterConfig { folders: PbFolder[], secondary: boolean }
/** Decoded Counter. */
export interface PbCounter { id: Int64, value: Int64 }
/** Decoded Vector. */
export interface PbVector { counters: PbCounter[] }
/** Decoded BlockInfo. */
export interface PbBlockInfo { offset: Int64, size: number, hash: PbBytes }
/** Decoded FileInfo. */
export interface PbFileInfo extends Unknowns {
  name: string, type: number, size: Int64, permissions: number, modifiedS: Int64, deleted: boolean, invalid: boolean,
  noPermissions: boolean, version?: PbVector | null, sequence: Int64, modifiedNs: number, modifiedBy: Int64, blockSize: number,
  platform: PbBytes, blocks: PbBlockInfo[], symlinkTarget: PbBytes, blocksHash: PbBytes, encrypted: PbBytes,
  previousBlocksHash: PbBytes
}
/** Decoded Index. */
export interface PbIndex { folder: string, files: PbFileInfo[], lastSequence: Int64 }
/** Decoded IndexUpdate. */
export interface PbIndexUpdate extends PbIndex { prevSequence: Int64 }
/** Decoded Request. */
export interface PbRequest {
  id: number, folder: string, name: string, offset: Int64, size: number, hash: PbBytes, fromTemporary: boolean, blockNo: number
}
/** Decoded Response. */
export interface PbResponse { id: number, data: PbBytes, code: number }
/** Decoded FileDownloadProgressUpdate. */
export interface PbProgressUpdate { updateType: number, name: string, version?: PbVector | null, blockIndexes: number[], blockSize: number }
/** Decoded DownloadProgress. */
export interface PbDownloadProgress { folder: string, updates: PbProgressUpdate[] }
/** Decoded Close. */
export interface PbClose { reason: string }

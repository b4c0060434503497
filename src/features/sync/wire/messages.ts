/**
 * BEP v1 messages at the domain level (the `BepMessage` union and the pre-auth `BepHello`) and
 * their protobuf bodies: `encodeMessage`/`decodeMessage` turn one message into the bytes that
 * follow the header, and back. Framing, compression and length limits live in framing.ts.
 */
import { WeftError } from '../../../core/errors.js'
import type { FolderId, Vector } from '../types.js'
import { folderFromPb, folderToPb, type BepFolder } from './clusterconfig.js'
import { BepWireError } from './errors.js'
import { fileInfoFromPb, fileInfoToPb, vectorFromPb, vectorToPb, type BepFileInfo } from './fileinfo.js'
import { bytesOf, bytesView, decodeAs, encodeAs, i64, i64Number, int32Of, int64Of, longOf, nonNegative } from './pb.js'
import {
  bepTypes, type PbClose, type PbClusterConfig, type PbDownloadProgress, type PbHello, type PbIndex, type PbIndexUpdate, type PbRequest,
  type PbResponse
} from './schema.js'

/** First message after Hello: the folders shared with the peer and who shares them. */
export interface BepClusterConfig { type: 'clusterConfig', folders: BepFolder[], secondary: boolean }
/** The sender's full index of a folder (replaces what the receiver had from it). */
export interface BepIndex { type: 'index', folder: FolderId, files: BepFileInfo[], lastSequence: number }
/** Changes to the sender's index of a folder since the last (Index or IndexUpdate) message. */
export interface BepIndexUpdate { type: 'indexUpdate', folder: FolderId, files: BepFileInfo[], lastSequence: number, prevSequence: number }
/** A request for one block of a file. */
export interface BepRequest {
  type: 'request', id: number, folder: FolderId, name: string, offset: number, size: number, hash: Uint8Array,
  fromTemporary: boolean, blockNo: number
}
/** Outcome of a request. */
export type BepResponseCode = 'noError' | 'generic' | 'noSuchFile' | 'invalidFile'
/** The answer to a request, matched by `id`. */
export interface BepResponse { type: 'response', id: number, data: Uint8Array, code: BepResponseCode }
/** One file's temporary-download progress. */
export interface BepProgressUpdate { updateType: 'append' | 'forget', name: string, version: Vector, blockIndexes: number[], blockSize: number }
/** Which blocks of in-progress downloads the sender already has in its temporary files. */
export interface BepDownloadProgress { type: 'downloadProgress', folder: FolderId, updates: BepProgressUpdate[] }
/** Keep-alive, sent after 90 s without other traffic. */
export interface BepPing { type: 'ping' }
/** The sender is closing the connection, and why. */
export interface BepClose { type: 'close', reason: string }

/** Any post-Hello BEP message. */
export type BepMessage = BepClusterConfig | BepIndex | BepIndexUpdate | BepRequest | BepResponse | BepDownloadProgress | BepPing | BepClose
/** The discriminant of a BepMessage. */
export type BepMessageType = BepMessage['type']

/** The pre-authentication Hello. */
export interface BepHello {
  deviceName: string
  clientName: string
  clientVersion: string
  /** How many parallel connections the sender wants (Syncthing 2.x; 0 or 1 means one). */
  numConnections: number
  /** Sender's clock in Unix nanoseconds (Syncthing requires it non-zero). */
  timestamp: bigint
}

/** BEP MessageType numbers. */
export const messageTypeCodes: Readonly<Record<BepMessageType, number>> = {
  clusterConfig: 0, index: 1, indexUpdate: 2, request: 3, response: 4, downloadProgress: 5, ping: 6, close: 7
}
const messageTypesByCode: readonly BepMessageType[] = ['clusterConfig', 'index', 'indexUpdate', 'request', 'response', 'downloadProgress', 'ping', 'close']
const responseCodes: readonly BepResponseCode[] = ['noError', 'generic', 'noSuchFile', 'invalidFile']
const updateTypes = ['append', 'forget'] as const

/** The message type a header's type number names, or undefined for unknown numbers. */
export function messageTypeOf (code: number): BepMessageType | undefined {
  return messageTypesByCode[code]
}

/** Encodes a Hello's protobuf body. */
export function encodeHelloBody (h: BepHello): Uint8Array {
  return encodeAs(bepTypes.Hello, {
    deviceName: h.deviceName,
    clientName: h.clientName,
    clientVersion: h.clientVersion,
    numConnections: int32Of(h.numConnections, 'numConnections'),
    timestamp: longOf(h.timestamp, false, 'timestamp')
  })
}

/** Decodes a Hello's protobuf body. */
export function decodeHelloBody (body: Uint8Array): BepHello {
  const w = decodeAs<PbHello>(bepTypes.Hello, body)
  return { deviceName: w.deviceName, clientName: w.clientName, clientVersion: w.clientVersion, numConnections: w.numConnections, timestamp: i64(w.timestamp) }
}

/** Encodes a message's protobuf body (what follows the header and length, before compression). */
export function encodeMessage (m: BepMessage): Uint8Array {
  switch (m.type) {
    case 'clusterConfig':
      return encodeAs(bepTypes.ClusterConfig, { folders: m.folders.map(folderToPb), secondary: m.secondary })
    case 'index':
      return encodeAs(bepTypes.Index, { folder: m.folder, files: m.files.map(fileInfoToPb), lastSequence: int64Of(m.lastSequence, 'lastSequence') })
    case 'indexUpdate':
      return encodeAs(bepTypes.IndexUpdate, {
        folder: m.folder,
        files: m.files.map(fileInfoToPb),
        lastSequence: int64Of(m.lastSequence, 'lastSequence'),
        prevSequence: int64Of(m.prevSequence, 'prevSequence')
      })
    case 'request':
      return encodeAs(bepTypes.Request, {
        id: int32Of(m.id, 'request id', true),
        folder: m.folder,
        name: m.name,
        offset: int64Of(m.offset, 'offset'),
        size: int32Of(m.size, 'size'),
        hash: m.hash,
        fromTemporary: m.fromTemporary,
        blockNo: int32Of(m.blockNo, 'blockNo')
      })
    case 'response':
      return encodeAs(bepTypes.Response, { id: int32Of(m.id, 'response id', true), data: m.data, code: responseCodes.indexOf(m.code) })
    case 'downloadProgress':
      return encodeAs(bepTypes.DownloadProgress, {
        folder: m.folder,
        updates: m.updates.map((u) => ({
          updateType: updateTypes.indexOf(u.updateType),
          name: u.name,
          version: vectorToPb(u.version),
          blockIndexes: u.blockIndexes.map((i) => int32Of(i, 'block index')),
          blockSize: int32Of(u.blockSize, 'blockSize')
        }))
      })
    case 'ping':
      return new Uint8Array(0)
    case 'close':
      return encodeAs(bepTypes.Close, { reason: m.reason })
    default:
      throw new WeftError('INVALID_ARGUMENT', `unknown BEP message type ${(m as { type: unknown }).type as string}`)
  }
}

/**
 * Decodes a message body given the header's type number.
 * @throws BepWireError: 'unknownType' for unknown numbers, 'badMessage' for malformed bodies or
 * out-of-range values (negative sizes, sequences beyond 2^53, device IDs not 32 bytes).
 */
export function decodeMessage (typeCode: number, body: Uint8Array): BepMessage {
  const type = messageTypeOf(typeCode)
  switch (type) {
    case 'clusterConfig': {
      const w = decodeAs<PbClusterConfig>(bepTypes.ClusterConfig, body)
      return { type, folders: w.folders.map(folderFromPb), secondary: w.secondary }
    }
    case 'index': {
      const w = decodeAs<PbIndex>(bepTypes.Index, body)
      return { type, folder: w.folder as FolderId, files: w.files.map(fileInfoFromPb), lastSequence: i64Number(w.lastSequence, 'lastSequence') }
    }
    case 'indexUpdate': {
      const w = decodeAs<PbIndexUpdate>(bepTypes.IndexUpdate, body)
      return {
        type,
        folder: w.folder as FolderId,
        files: w.files.map(fileInfoFromPb),
        lastSequence: i64Number(w.lastSequence, 'lastSequence'),
        prevSequence: i64Number(w.prevSequence, 'prevSequence')
      }
    }
    case 'request': {
      const w = decodeAs<PbRequest>(bepTypes.Request, body)
      return {
        type,
        id: w.id,
        folder: w.folder as FolderId,
        name: w.name,
        offset: i64Number(w.offset, 'offset'),
        size: nonNegative(w.size, 'request size'),
        hash: bytesOf(w.hash),
        fromTemporary: w.fromTemporary,
        blockNo: nonNegative(w.blockNo, 'blockNo')
      }
    }
    case 'response': {
      const w = decodeAs<PbResponse>(bepTypes.Response, body)
      // Unknown error codes are still errors: report them as generic.
      return { type, id: w.id, data: bytesView(w.data), code: responseCodes[w.code] ?? 'generic' }
    }
    case 'downloadProgress': {
      const w = decodeAs<PbDownloadProgress>(bepTypes.DownloadProgress, body)
      const updates: BepProgressUpdate[] = []
      for (const u of w.updates) {
        const updateType = updateTypes[u.updateType]
        if (updateType === undefined) continue // unknown update kinds are advisory: drop them
        updates.push({
          updateType,
          name: u.name,
          version: vectorFromPb(u.version),
          blockIndexes: u.blockIndexes.map((i) => nonNegative(i, 'block index')),
          blockSize: nonNegative(u.blockSize, 'blockSize')
        })
      }
      return { type, folder: w.folder as FolderId, updates }
    }
    case 'ping':
      decodeAs<object>(bepTypes.Ping, body)
      return { type }
    case 'close':
      return { type, reason: decodeAs<PbClose>(bepTypes.Close, body).reason }
    case undefined:
      throw new BepWireError('unknownType', `unknown message type ${typeCode}`)
  }
}

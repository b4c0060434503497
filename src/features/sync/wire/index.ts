/**
 * The BEP v1 wire layer's public surface: domain-level messages, framing (Hello, headers, LZ4)
 * and the typed wire error. The protobuf schema and conversion helpers stay internal to wire/.
 */
export { BepWireError, type BepWireErrorReason } from './errors.js'
export type { BepCompression, BepDevice, BepFolder, BepFolderType } from './clusterconfig.js'
export { computeBlocksHash, type BepFileInfo } from './fileinfo.js'
export {
  decodeMessage, encodeMessage, messageTypeCodes, messageTypeOf, type BepClose, type BepClusterConfig, type BepDownloadProgress,
  type BepHello, type BepIndex, type BepIndexUpdate, type BepMessage, type BepMessageType, type BepPing, type BepProgressUpdate,
  type BepRequest, type BepResponse, type BepResponseCode
} from './messages.js'
export {
  BepDecoder, compressionThreshold, defaultMaxMessageBytes, encodeFrame, encodeHello, helloMagic, maxHelloBytes, wantsCompression,
  type BepFrame, type DecoderOptions, type EncodeOptions
} from './framing.js'
export { lz4CompressBlock, lz4DecompressBlock } from './lz4.js'

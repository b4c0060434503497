/**
 * The typed error of the BEP wire layer: a WeftError with code PROTOCOL_ERROR plus a `reason`
 * saying which rule of the wire format a peer (or a corrupt buffer) broke, so callers can log,
 * count and decide whether to drop the connection without parsing messages.
 */
import { WeftError } from '../../../core/errors.js'

/** Which wire rule was broken. */
export type BepWireErrorReason =
  /** The stream did not start with the Hello magic (or used a pre-v0.14 one). */
  | 'badMagic'
  /** A length field exceeded its limit (Hello, header, message, or LZ4 uncompressed size). */
  | 'tooLarge'
  /** The stream or a buffer ended in the middle of a structure. */
  | 'truncated'
  /** An LZ4 block was malformed (offset before the start, overrun, size mismatch). */
  | 'lz4'
  /** A protobuf message could not be decoded, or held an out-of-range value. */
  | 'badMessage'
  /** A header named a message type or compression this implementation does not know. */
  | 'unknownType'
  /** The decoder had already failed; a stream cannot be resumed after a protocol error. */
  | 'failed'

/** A violation of the BEP v1 wire format. Always `code: 'PROTOCOL_ERROR'`. */
export class BepWireError extends WeftError {
  override readonly name: string = 'BepWireError'
  /** Which rule was broken. */
  readonly reason: BepWireErrorReason

  constructor (reason: BepWireErrorReason, message: string, options?: { cause?: unknown }) {
    super('PROTOCOL_ERROR', `BEP: ${message}`, options)
    this.reason = reason
  }
}

/**
 * Typed errors with stable codes. Every error that crosses a boundary (API, CLI exit, wire)
 * is a WeftError whose `code` survives JSON; the HTTP status for each code lives here, in one place.
 */

/** Stable error codes. Never rename one: clients and scripts match on them. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_INITIALIZED'
  | 'CONFIG_INVALID'
  | 'PORT_IN_USE'
  | 'DAEMON_NOT_RUNNING'
  | 'INVITE_INVALID'
  | 'INVITE_EXPIRED'
  | 'INVITE_EXHAUSTED'
  | 'INVITE_REJECTED'
  | 'NOT_ADMIN'
  | 'NOT_MEMBER'
  | 'PEER_UNREACHABLE'
  | 'PROTOCOL_ERROR'
  | 'DISK_FULL'
  | 'VERSION_MISMATCH'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'INTERNAL'

const httpStatusByCode: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_INITIALIZED: 409,
  CONFIG_INVALID: 500,
  PORT_IN_USE: 409,
  DAEMON_NOT_RUNNING: 503,
  INVITE_INVALID: 400,
  INVITE_EXPIRED: 410,
  INVITE_EXHAUSTED: 410,
  INVITE_REJECTED: 403,
  NOT_ADMIN: 403,
  NOT_MEMBER: 403,
  PEER_UNREACHABLE: 504,
  PROTOCOL_ERROR: 502,
  DISK_FULL: 507,
  VERSION_MISMATCH: 409,
  TIMEOUT: 504,
  ABORTED: 499,
  INTERNAL: 500
}

/** Base class of every error weft raises on purpose. */
export class WeftError extends Error {
  override readonly name: string = 'WeftError'
  /** Stable, machine-readable identifier of the condition. */
  readonly code: ErrorCode

  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }

  /** HTTP status the local API answers with for this error. */
  get httpStatus (): number {
    return httpStatusByCode[this.code]
  }

  /** JSON form used by the API and `--json` CLI output. */
  toJSON (): { code: ErrorCode, message: string } {
    return { code: this.code, message: this.message }
  }
}

/** True when `code` is one of the stable error codes (used when decoding errors off the wire). */
export function isErrorCode (code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(httpStatusByCode, code)
}

/** Wraps anything thrown into a WeftError, keeping WeftErrors as they are. */
export function toWeftError (err: unknown): WeftError {
  if (err instanceof WeftError) return err
  if (err instanceof Error && err.name === 'AbortError') return new WeftError('ABORTED', 'operation aborted', { cause: err })
  if (err instanceof Error && err.name === 'TimeoutError') return new WeftError('TIMEOUT', 'operation timed out', { cause: err })
  const message = err instanceof Error ? err.message : String(err)
  return new WeftError('INTERNAL', message, { cause: err })
}

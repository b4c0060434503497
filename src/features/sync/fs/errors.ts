/**
 * File system errors as WeftErrors: a missing file is `NOT_FOUND`, a refused one `FORBIDDEN`,
 * a full disk or exhausted quota a {@link DiskFullError} (`DISK_FULL`, where the puller asks
 * for it), an aborted operation `ABORTED`, anything else `INTERNAL`; the system error is kept
 * as the cause and its code in the message.
 */
import { WeftError } from '../../../core/errors.js'

/** The `code` of a Node.js system error (`ENOENT`, ...), if any. */
export function errnoCode (err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code
  return undefined
}

/** True when `err` says the path (or one of its parents) does not exist. */
export function isNotFoundError (err: unknown): boolean {
  const code = errnoCode(err)
  return code === 'ENOENT' || code === 'ENOTDIR' || (err instanceof WeftError && err.code === 'NOT_FOUND')
}

/** Wraps a file system error from an operation on `path` into a WeftError. */
export function fsError (err: unknown, action: string, path: string): WeftError {
  if (err instanceof WeftError) return err
  if (err instanceof Error && err.name === 'AbortError') return new WeftError('ABORTED', `${action} ${path}: aborted`, { cause: err })
  const code = errnoCode(err)
  const reason = err instanceof Error ? err.message : String(err)
  if (code === 'ENOENT' || code === 'ENOTDIR') return new WeftError('NOT_FOUND', `${action} ${path}: not found`, { cause: err })
  if (code === 'EACCES' || code === 'EPERM') return new WeftError('FORBIDDEN', `${action} ${path}: permission denied`, { cause: err })
  return new WeftError('INTERNAL', `${action} ${path}: ${reason}`, { cause: err })
}

/** Throws WeftError `ABORTED` when the signal has fired. */
export function checkAborted (signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw new WeftError('ABORTED', `${what}: aborted`, { cause: signal.reason })
}

/** The disk (or the user's quota) is full: the puller stops, nothing was replaced. */
export class DiskFullError extends WeftError {
  override readonly name: string = 'DiskFullError'

  constructor (path: string, options?: { cause?: unknown }) {
    super('DISK_FULL', `disk full: no space left to write ${path}`, options)
  }
}

/** True for "no space left on device" and "disk quota exceeded". */
export function isDiskFull (err: unknown): boolean {
  if (err instanceof DiskFullError) return true
  const code = errnoCode(err)
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** Wraps a file system error of the puller from `action` on `path` into a WeftError. */
export function pullFsError (err: unknown, action: string, path: string): WeftError {
  if (!(err instanceof WeftError) && isDiskFull(err)) return new DiskFullError(path, { cause: err })
  return fsError(err, action, path)
}

/** Throws WeftError `ABORTED` when the signal has fired (the puller's wording). */
export function checkPullAborted (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new WeftError('ABORTED', 'pull aborted', { cause: signal.reason })
}

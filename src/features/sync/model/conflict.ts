/**
 * Conflict copies, as Syncthing names them: `NAME.sync-conflict-YYYYMMDD-HHMMSS-<SHORTID>.EXT`,
 * where EXT is what Go's `filepath.Ext` returns (the last dot of the last path element onward:
 * `a.tar.gz` becomes `a.tar.sync-conflict-...-ID.gz`, `.bashrc` becomes
 * `.sync-conflict-...-ID.bashrc`) and SHORTID is `ShortID.String()` of the modifier Syncthing
 * passes (see `conflictCopyModifier`). Pure: the caller passes the time.
 */
import { WeftError } from '../../../core/errors.js'
import type { ShortId } from '../types.js'
import { shortIdString } from './vector.js'

/** The marker every conflict copy's name carries. */
export const conflictMarker = '.sync-conflict-'

/** Options of `conflictName`. */
export interface ConflictNameOptions {
  /**
   * Format the time in UTC instead of the local time zone. Syncthing uses local time
   * (`time.Now().Format`); UTC is for tests and for callers that want zone-independent names.
   */
  utc?: boolean
}

/**
 * The extension of a `/`-separated name as Go's `filepath.Ext`: from the last `.` of the last
 * element to the end, or `''` when that element has no dot.
 */
export function nameExtension (name: string): string {
  for (let i = name.length - 1; i >= 0 && name[i] !== '/'; i--) {
    if (name[i] === '.') return name.slice(i)
  }
  return ''
}

/**
 * The name of a conflict copy of `name`, made at `at`, tagged with `modifiedBy` (7 base32
 * characters; nothing when it is 0, as in Syncthing).
 */
export function conflictName (name: string, modifiedBy: ShortId, at: Date, options: ConflictNameOptions = {}): string {
  if (Number.isNaN(at.getTime())) throw new WeftError('INVALID_ARGUMENT', 'conflict time is not a valid date')
  const ext = nameExtension(name)
  const utc = options.utc === true
  const part = (local: number, universal: number, width = 2): string => String(utc ? universal : local).padStart(width, '0')
  const stamp = part(at.getFullYear(), at.getUTCFullYear(), 4) + part(at.getMonth() + 1, at.getUTCMonth() + 1) +
    part(at.getDate(), at.getUTCDate()) + '-' + part(at.getHours(), at.getUTCHours()) +
    part(at.getMinutes(), at.getUTCMinutes()) + part(at.getSeconds(), at.getUTCSeconds())
  return `${name.slice(0, name.length - ext.length)}${conflictMarker}${stamp}-${shortIdString(modifiedBy)}${ext}`
}

/** True when the last element of `name` is a conflict copy (Syncthing's `isConflict`). */
export function isConflictName (name: string): boolean {
  const slash = name.lastIndexOf('/')
  return name.slice(slash + 1).includes(conflictMarker)
}

/**
 * The glob-free test Syncthing's `existingConflicts` does: whether `candidate` is a conflict
 * copy of `name` (`NAME.sync-conflict-????????-??????*EXT`). Used to cap the number of copies.
 */
export function isConflictCopyOf (candidate: string, name: string): boolean {
  const ext = nameExtension(name)
  const base = name.slice(0, name.length - ext.length)
  if (!candidate.startsWith(base + conflictMarker) || !candidate.endsWith(ext)) return false
  const rest = candidate.slice(base.length + conflictMarker.length, candidate.length - ext.length)
  return /^[^/]{8}-[^/]{6}[^/]*$/.test(rest)
}

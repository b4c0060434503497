/**
 * A scanned entry that already is the global version: a pull renamed it into place and the
 * device stopped before the index recorded it (the pulled record is committed in a batch
 * after the rename), or the user put the same file there. Such an entry takes the global
 * version instead of a new one of its own, as Syncthing's scanner does: a new version would
 * be concurrent with the global one, and the folder would pull the same bytes again (or, on
 * other devices, adopt ours) for nothing. Pure.
 */
import type { FileInfo } from '../types.js'
import type { DeviceRecord } from './global.js'

/** What a scanned entry is compared on (a scan's record before it gets a version). */
export type ScannedContent = Pick<FileInfo, 'name' | 'type' | 'size' | 'permissions' | 'noPermissions' | 'blocks' | 'symlinkTarget' | 'deleted' | 'modifiedS' | 'modifiedNs'>

function sameBlocks (a: FileInfo['blocks'], b: FileInfo['blocks']): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x === undefined || y === undefined || x.offset !== y.offset || x.size !== y.size || !Buffer.from(x.hash).equals(y.hash)) return false
  }
  return true
}

/**
 * The global record `scanned` has the content of, when it is one this device can take as its
 * own (valid, not a receive-only local change, not a deletion); undefined otherwise.
 */
export function adoptableGlobal (scanned: ScannedContent, global: DeviceRecord | undefined): FileInfo | undefined {
  if (global === undefined || global.locallyChanged === true) return undefined
  const g = global.file
  if (g.invalid || g.deleted || scanned.deleted || g.name !== scanned.name || g.type !== scanned.type) return undefined
  if (!g.noPermissions && !scanned.noPermissions && (g.permissions & 0o777) !== (scanned.permissions & 0o777)) return undefined
  if (g.type === 'symlink') return g.symlinkTarget === scanned.symlinkTarget ? g : undefined
  if (g.type === 'directory') return g
  // A pull sets the file's mtime to the global one: a file with another mtime is a change.
  return g.modifiedS === scanned.modifiedS && g.modifiedNs === scanned.modifiedNs && g.size === scanned.size && sameBlocks(g.blocks, scanned.blocks) ? g : undefined
}

/**
 * Names a synced folder never announces, whatever `.stignore` says: the reserved internal
 * names at the folder root (`.stfolder`, `.stignore`, `.stversions`, `.weft`) and the
 * temporary files of pulls (`.syncthing.NAME.tmp`, at any depth).
 */
import { sep } from 'node:path'
import { internalNames, tempPrefix, tempSuffix } from '../types.js'

/** The marker directory whose presence proves the folder (and its disk) is there. */
export const folderMarker = '.stfolder'
/** The ignore file at the folder root. */
export const ignoreFileName = '.stignore'

const internal: ReadonlySet<string> = new Set(internalNames)

/** The last segment of a `/`-separated relative path. */
export function baseName (relPath: string): string {
  const slash = relPath.lastIndexOf('/')
  return slash < 0 ? relPath : relPath.slice(slash + 1)
}

/**
 * True for an internal name or anything inside one (`.stversions/a/b`); only the folder
 * root's entries are internal, as in Syncthing.
 */
export function isInternal (relPath: string): boolean {
  const slash = relPath.indexOf('/')
  return internal.has(slash < 0 ? relPath : relPath.slice(0, slash))
}

/** True for a pull's temporary file (`.syncthing.NAME.tmp`) at any depth. */
export function isTemporary (relPath: string): boolean {
  const base = baseName(relPath)
  return base.length > tempPrefix.length + tempSuffix.length && base.startsWith(tempPrefix) && base.endsWith(tempSuffix)
}

/**
 * Normalizes a relative path the way names are stored: Unicode NFC, `/` separators (the
 * platform separator converted), no leading `./` or `/`, no trailing `/`.
 */
export function normalizeName (relPath: string): string {
  let name = relPath.normalize('NFC')
  if (sep !== '/') name = name.split(sep).join('/')
  while (name.startsWith('./')) name = name.slice(2)
  name = name.replace(/^\/+/, '').replace(/\/+$/, '')
  return name === '.' ? '' : name
}

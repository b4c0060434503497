/**
 * Whether a peer's record can change what this device needs. A peer announcing versions this
 * device already has (equal or older), as it does after pulling from us, cannot: skipping the
 * pull pass for such index updates saves a full pass over the folder's records per update
 * (on a 100,000-file folder, seconds of CPU each, run again for every update the peer sends).
 */
import type { FileInfo } from '../types.js'
import type { DeviceRecord } from './global.js'
import { compareVectors } from './vector.js'

/**
 * False only when `local` is a plain valid record whose version is equal to or newer than
 * `remote`'s; true (look again) in every other case: no local record, an invalid or receive-only
 * changed one, or a remote version that is newer or concurrent.
 */
export function mayChangeNeed (local: DeviceRecord | undefined, remote: FileInfo): boolean {
  if (local === undefined || local.locallyChanged === true || local.file.invalid) return true
  const order = compareVectors(remote.version, local.file.version)
  return order !== 'equal' && order !== 'lesser'
}

/**
 * The KV store's rules on top of the replicated map: key and value limits, the view of an
 * entry, and check-and-set. Versions are the entry's HLC stamp in text; `cas: "0"` means
 * "only if the key does not exist". Check-and-set is checked against this device's copy:
 * two devices that pass the same check at the same moment both write, and the later stamp
 * wins everywhere (documented in docs/ARCHITECTURE.md).
 */
import { WeftError } from '../../core/errors.js'
import { formatVersion } from './hlc.js'
import type { Entry } from './store.js'
import { kvKeyPrefix, maxKeyBytes, maxValueBytes } from './types.js'
import type { KvView } from './types.js'

/** Checks a user key; INVALID_ARGUMENT naming the problem. */
export function checkKey (key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8')
  if (bytes === 0) throw new WeftError('INVALID_ARGUMENT', 'empty key')
  if (bytes > maxKeyBytes) throw new WeftError('INVALID_ARGUMENT', `key of ${bytes} bytes: at most ${maxKeyBytes}`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new WeftError('INVALID_ARGUMENT', 'keys may not contain control characters')
  if (key.startsWith('/')) throw new WeftError('INVALID_ARGUMENT', 'keys may not start with /')
}

/** Checks a value's size. */
export function checkValue (value: Buffer): void {
  if (value.length > maxValueBytes) throw new WeftError('INVALID_ARGUMENT', `value of ${value.length} bytes: at most ${maxValueBytes} (512 KiB)`)
}

/** Throws VERSION_MISMATCH unless `current` matches the expected version `cas`. */
export function checkCas (current: Entry | undefined, cas: string | undefined): void {
  if (cas === undefined) return
  const live = current !== undefined && current.value !== null ? current : undefined
  if (cas === '0') {
    if (live !== undefined) throw new WeftError('VERSION_MISMATCH', `key exists (version ${formatVersion(live.stamp)})`)
    return
  }
  if (live === undefined) throw new WeftError('VERSION_MISMATCH', 'key does not exist')
  if (formatVersion(live.stamp) !== cas) throw new WeftError('VERSION_MISMATCH', `key is at version ${formatVersion(live.stamp)}, not ${cas}`)
}

/** The view of a stored KV entry (undefined for tombstones). */
export function kvView (e: Entry): KvView | undefined {
  if (e.value === null) return undefined
  const text = e.value.toString('utf8')
  const valid = Buffer.from(text, 'utf8').equals(e.value)
  return {
    key: e.key.slice(kvKeyPrefix.length),
    ...(valid ? { value: text } : {}),
    base64: e.value.toString('base64'),
    size: e.value.length,
    version: formatVersion(e.stamp),
    writtenBy: e.stamp.device,
    writtenAt: e.stamp.ms
  }
}

/**
 * Crash-safe file writes: write a temporary file beside the target, fsync it, rename it over
 * the target and fsync the directory. A reader sees the old content or the new, never a mix.
 */
import { open, rename, mkdir, readFile, unlink } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { randomBytes } from 'node:crypto'

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the written file (default 0o600: weft's files are private). */
  mode?: number
}

/** Atomically replaces `path` with `data`. */
export async function writeFileAtomic (path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', options.mode ?? 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await handle.close()
  try {
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  const dirHandle = await open(dir, 'r')
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readFileIfExists (path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

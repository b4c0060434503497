/**
 * One daemon per home: a lock file holding the daemon's pid, created exclusively; a lock
 * left by a process that no longer exists is taken over.
 */
import { open, readFile, unlink } from 'node:fs/promises'
import { WeftError } from '../core/errors.js'

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid of the live daemon holding the lock at `path`, if any (the lock is not taken). */
export async function lockHolder (path: string): Promise<number | undefined> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined
}

/** Takes the lock at `path`; ALREADY_EXISTS if a live daemon holds it. Returns the release function. */
export async function acquireLock (path: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return async () => { await unlink(path).catch(() => {}) }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new WeftError('ALREADY_EXISTS', `a weft daemon (pid ${pid}) is already running with this home`)
      }
      await unlink(path).catch(() => {})
    }
  }
  throw new WeftError('INTERNAL', `could not take the lock ${path}`)
}

/**
 * One daemon per home: a lock file holding the daemon's pid, created exclusively; a lock
 * left by a process that no longer exists is taken over. A lock file naming this very process
 * is stale (a daemon restarted with the same pid, as PID 1 in a container) unless a node of
 * this process holds it: embedded nodes (src/library) can run several in one process.
 */
import { open, readFile, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { WeftError } from '../core/errors.js'

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Lock files held by this process. Module-level on purpose: a lock belongs to the process, and
 * every node of the process must see the others' locks.
 */
const heldHere = new Set<string>()

/**
 * The pid of the live daemon holding the lock at `path`, if any (the lock is not taken). This
 * process never counts: its own stale pid in a lock (a restart as PID 1 in a container) is not a daemon.
 */
export async function lockHolder (path: string): Promise<number | undefined> {
  const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined
}

/** Takes the lock at `path`; ALREADY_EXISTS if a live daemon holds it. Returns the release function. */
export async function acquireLock (path: string): Promise<() => Promise<void>> {
  const key = resolve(path)
  if (heldHere.has(key)) throw new WeftError('ALREADY_EXISTS', `a weft node of this process (pid ${process.pid}) is already running with this home`)
  heldHere.add(key) // before any await: a second start in this process must not take the file over
  try {
    await takeFile(path)
  } catch (err) {
    heldHere.delete(key)
    throw err
  }
  return async () => {
    heldHere.delete(key)
    await unlink(path).catch(() => {})
  }
}

async function takeFile (path: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return
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


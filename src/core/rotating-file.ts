/**
 * An append-only log file that rotates by size: when the next batch would take the file past
 * `maxBytes`, it is closed and renamed to `PATH.1` (`PATH.1` to `PATH.2`, ... the oldest of
 * `keep` dropped) and a new file is opened. Lines written in one event-loop turn are joined and
 * written with one call; rotation happens between batches, inside that one synchronous call, so
 * no line is lost or split and a reader that sees the new file knows the old one is complete.
 * It is a pino destination (`write`, `flush`, `flushSync`).
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/** Options of {@link RotatingFile}. */
export interface RotatingFileOptions {
  /** Size past which the file rotates (default 10 MiB). */
  maxBytes?: number
  /** Rotated files kept besides the current one (default 3). */
  keep?: number
}

/** Default rotation size of the daemon's log. */
export const defaultLogMaxBytes = 10 * 1024 * 1024
/** Default number of rotated log files kept. */
export const defaultLogKeep = 3

/** The path of the `n`th rotated file of `path` (1 is the newest). */
export function rotatedPath (path: string, n: number): string {
  return `${path}.${n}`
}

/** A size-rotated append-only file. */
export class RotatingFile {
  readonly path: string
  readonly maxBytes: number
  readonly keep: number
  #fd: number | undefined
  #size: number
  #pending: string[] = []
  #scheduled = false
  #failing = false
  readonly #onExit = (): void => { this.flushSync() }

  constructor (path: string, options: RotatingFileOptions = {}) {
    this.path = path
    this.maxBytes = options.maxBytes ?? defaultLogMaxBytes
    this.keep = options.keep ?? defaultLogKeep
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    this.#fd = openSync(path, 'a', 0o600)
    this.#size = fstatSync(this.#fd).size
    // Lines still pending when the process exits (a fatal error) are written then.
    process.on('exit', this.#onExit)
  }

  /** Queues `chunk` (one or more whole lines); it is written at the end of this event-loop turn. */
  write (chunk: string): boolean {
    if (this.#fd === undefined) return false
    this.#pending.push(chunk)
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => { this.#flushInBackground() })
    }
    return true
  }

  /** Writes what is pending now, rotating first if it would not fit. */
  flushSync (): void {
    this.#scheduled = false
    if (this.#fd === undefined || this.#pending.length === 0) return
    const data = Buffer.from(this.#pending.join(''))
    this.#pending = []
    if (this.#size > 0 && this.#size + data.length > this.maxBytes) this.#rotate()
    let offset = 0
    while (offset < data.length) offset += writeSync(this.#fd, data, offset)
    this.#size += data.length
  }

  /** pino's asynchronous flush: writes what is pending, then calls back. */
  flush (callback?: (err?: Error) => void): void {
    try {
      this.flushSync()
      callback?.()
    } catch (err) {
      callback?.(err as Error)
    }
  }

  /** Writes what is pending and closes the file; later writes are dropped. */
  close (): void {
    this.flushSync()
    process.off('exit', this.#onExit)
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  /** A failing disk must not take the daemon down for its log: say so once on stderr, drop the batch. */
  #flushInBackground (): void {
    try {
      this.flushSync()
      this.#failing = false
    } catch (err) {
      if (!this.#failing) process.stderr.write(`weft: cannot write the log ${this.path}: ${(err as Error).message} (log lines are dropped until it works again)\n`)
      this.#failing = true
    }
  }

  #rotate (): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
    for (let n = this.keep - 1; n >= 1; n--) renameQuiet(rotatedPath(this.path, n), rotatedPath(this.path, n + 1))
    if (this.keep >= 1) renameQuiet(this.path, rotatedPath(this.path, 1))
    // With keep 0 the file is truncated instead of renamed: 'w' starts it empty.
    this.#fd = openSync(this.path, this.keep >= 1 ? 'a' : 'w', 0o600)
    this.#size = 0
  }
}

/** Renames `from` to `to`; a missing `from` (fewer rotated files than kept so far) is fine. */
function renameQuiet (from: string, to: string): void {
  try {
    renameSync(from, to)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}

/**
 * The daemon's logger: every line as JSON into the home's size-rotated log file (read back by
 * `weft logs`), and warnings and errors also on stderr as human-readable lines, since a person
 * (or a service manager's journal) reads those.
 */
import { pino } from 'pino'
import type { Logger, LogLevel } from '../core/log.js'
import { formatLogChunk } from '../core/log-format.js'
import type { RotatingFile } from '../core/rotating-file.js'

/** A pino destination that writes each JSON line to stderr in its human-readable form. */
const humanStderr = { write: (chunk: string): void => { process.stderr.write(formatLogChunk(chunk)) } }

/** Creates the daemon's root logger writing to `file` (and warnings to stderr). */
export function daemonLogger (level: LogLevel, file: RotatingFile): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.multistream([
    { level: level === 'silent' ? 'silent' : level, stream: file },
    { level: 'warn', stream: humanStderr }
  ]))
}

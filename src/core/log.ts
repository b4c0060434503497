/**
 * Structured logging (pino). Each component logs under its own name; the daemon decides
 * where the lines go.
 */
import { pino } from 'pino'
import type { Logger as PinoLogger } from 'pino'

/** The logger every component receives. */
export type Logger = PinoLogger

/** Log levels accepted in config and on the command line. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** One of {@link logLevels}. */
export type LogLevel = typeof logLevels[number]

/** Creates the root logger writing JSON lines to `destination` (a file descriptor or path). */
export function createLogger (level: LogLevel, destination: number | string = 1): Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: destination, sync: false, mkdir: true }))
}

/** A logger that drops everything (unit tests). */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}

/**
 * How the CLI reports failures: one line on stderr (`weft: MESSAGE`), whatever was thrown
 * and wherever; the stack only with `WEFT_DEBUG=1`. Also the last-resort handlers that keep
 * stack traces of uncaught errors away from users.
 */
import { toWeftError } from '../core/errors.js'
import type { WeftError } from '../core/errors.js'

/** True when `WEFT_DEBUG` asks for stack traces. */
export function debugEnabled (env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WEFT_DEBUG !== undefined && env.WEFT_DEBUG !== '' && env.WEFT_DEBUG !== '0'
}

/** A message as one line: stack frames dropped, the remaining lines joined. */
export function oneLine (message: string): string {
  const lines = message.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !/^at\s/.test(l))
  const line = lines.join(' ').replace(/\s+/g, ' ')
  return line.length > 600 ? `${line.slice(0, 597)}...` : line
}

function stackOf (err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) parts.push(e.stack ?? e.message)
  return parts.join('\ncaused by: ')
}

/** Writes `err` as one line (and its stack with WEFT_DEBUG); returns it as a WeftError. */
export function reportError (err: unknown, prefix = ''): WeftError {
  const e = toWeftError(err)
  process.stderr.write(`weft: ${prefix}${oneLine(e.message)}\n`)
  if (debugEnabled()) process.stderr.write(stackOf(err) + '\n')
  return e
}

/** An uncaught exception ends the process with one line (exit 70), not Node's stack trace. */
export function installCrashHandlers (): void {
  process.on('uncaughtException', (err) => {
    reportError(err, 'internal error (a bug; WEFT_DEBUG=1 shows where): ')
    process.exit(70)
  })
}

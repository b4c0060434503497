/**
 * `weft logs [-f] [--level LEVEL] [-n N] [--json]`: the daemon's log file, read directly
 * (no daemon needed), human-readable by default, raw JSON lines with --json.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { setTimeout as sleep } from 'node:timers/promises'
import { WeftError } from '../../core/errors.js'
import { atOrAbove, formatLogLine, isLevelName, levelNumbers, parseLogLine } from '../../core/log-format.js'
import type { LevelName } from '../../core/log-format.js'
import { homePaths } from '../../daemon/home.js'
import { contextOf } from '../context.js'
import { LogReader } from '../log-reader.js'

/** How often `-f` looks for new lines. */
const followPollMs = 250

interface LogsFlags { follow?: boolean, level?: LevelName, lines?: number }

function level (value: string): LevelName {
  const name = value.toLowerCase()
  if (!isLevelName(name)) throw new InvalidArgumentError(`expected one of ${Object.keys(levelNumbers).join(', ')}`)
  return name
}

function count (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number')
  return n
}

/** Registers `logs`. */
export function registerLogsCommand (program: Command): void {
  program.command('logs').description('the daemon\'s log (human-readable; --json for the raw lines)')
    .option('-f, --follow', 'keep printing new lines as they are written (across rotation)')
    .option('--level <level>', 'only lines at this level or above: trace, debug, info, warn, error, fatal', level)
    .option('-n, --lines <n>', 'only the last N lines of the current file', count)
    .action(async (flags: LogsFlags, command: Command) => {
      const ctx = contextOf(command)
      const path = homePaths(ctx.home).log
      const min = levelNumbers[flags.level ?? 'trace']
      const reader = new LogReader(path)
      // `weft logs -f | head`: the reader went away, which ends the command, not an error.
      process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0) })
      const print = (raw: string[]): void => {
        const lines = raw.map(parseLogLine).filter((l) => atOrAbove(l, min))
        if (lines.length > 0) process.stdout.write(lines.map((l) => (ctx.json ? l.raw : formatLogLine(l)) + '\n').join(''))
      }
      try {
        const first = await reader.read()
        if (!reader.opened && flags.follow !== true) throw new WeftError('NOT_FOUND', `no log at ${path} (has a daemon run with this home?)`)
        const shown = first.filter((raw) => atOrAbove(parseLogLine(raw), min))
        print(flags.lines === undefined ? shown : flags.lines === 0 ? [] : shown.slice(-flags.lines))
        if (flags.follow !== true) return
        for (;;) {
          await sleep(followPollMs)
          print(await reader.read())
        }
      } finally {
        await reader.close()
      }
    })
}

/**
 * The `weft` command line: a client of the running daemon's API (only `init` and `daemon`
 * work without one). Errors print one line and exit non-zero (src/cli/report.ts).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { weftVersion } from '../version.js'
import { WeftError } from '../core/errors.js'
import { installCrashHandlers, reportError } from './report.js'
import { registerLocalCommands } from './commands/local.js'
import { registerStatusCommands } from './commands/status.js'
import { registerNetCommands } from './commands/net.js'
import { registerPerfCommand } from './commands/perf.js'
import { registerFolderCommands } from './commands/folder.js'
import { registerReachCommands } from './commands/reach.js'
import { registerPipeCommand } from './commands/pipe.js'
import { registerSendCommands } from './commands/send.js'
import { registerSyncthingCommands } from './commands/syncthing.js'
import { registerDoctorCommand } from './commands/doctor.js'
import { registerOpenCommand } from './commands/open.js'
import { registerCatalogCommands } from './commands/catalog.js'
import { registerLogsCommand } from './commands/logs.js'
import { registerVersionCommand } from './commands/version.js'
import { registerPingCommand } from './commands/ping.js'
import { registerServiceCommands } from './commands/service.js'
import { registerConfigCommands } from './commands/config.js'

/** Builds the program (exported for tests). */
export function buildProgram (): Command {
  const program = new Command('weft')
    .description('one peer-to-peer daemon per device: private networks of your devices and friends')
    .version(weftVersion)
    .option('--home <dir>', 'data directory (default: $WEFT_HOME, or $XDG_DATA_HOME/weft, or ~/.local/share/weft)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run "weft --help" for usage)')
    .exitOverride()
  registerLocalCommands(program)
  registerStatusCommands(program)
  registerNetCommands(program)
  registerPerfCommand(program)
  registerFolderCommands(program)
  registerReachCommands(program)
  registerPipeCommand(program)
  registerSendCommands(program)
  registerSyncthingCommands(program)
  registerDoctorCommand(program)
  registerOpenCommand(program)
  registerCatalogCommands(program)
  registerLogsCommand(program)
  registerVersionCommand(program)
  registerPingCommand(program)
  registerServiceCommands(program)
  registerConfigCommands(program)
  for (const command of program.commands) {
    command.exitOverride()
    for (const sub of command.commands) sub.exitOverride()
  }
  return program
}

/** Runs the CLI with `argv` (process.argv form). */
export async function main (argv: string[]): Promise<number> {
  const program = buildProgram()
  try {
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (err) {
    // Commander printed its own parse errors already; an InvalidArgumentError thrown by an
    // action has not been printed by anyone.
    if (err instanceof CommanderError && !(err instanceof InvalidArgumentError)) return err.exitCode === 0 ? 0 : 2
    const usage = err instanceof InvalidArgumentError
    const e = reportError(usage ? new WeftError('INVALID_ARGUMENT', err.message) : err)
    if (argv.includes('--json')) process.stdout.write(JSON.stringify({ error: e.toJSON() }) + '\n')
    return usage ? 2 : 1
  }
}

installCrashHandlers()
const code = await main(process.argv)
process.exitCode = code

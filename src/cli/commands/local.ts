/**
 * Commands that work without a running daemon: `init` and `daemon`. Settings flags given to
 * `daemon` on an existing home are applied and written to its config, and said so.
 */
import type { Command } from 'commander'
import { initHome, isInitialized } from '../../daemon/init.js'
import { loadConfig, saveConfig, validateConfig } from '../../daemon/config.js'
import { describeChanges } from '../../daemon/config-keys.js'
import { overlayConfig } from '../../daemon/config-overlay.js'
import { homePaths } from '../../daemon/home.js'
import { lockHolder } from '../../daemon/lock.js'
import { PortRaceError } from '../../daemon/ports.js'
import type { PortMove } from '../../daemon/ports.js'
import type { Daemon } from '../../daemon/daemon.js'
import { WeftError } from '../../core/errors.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'
import { reportError } from '../report.js'
import { givenFlags, overlayOfFlags, withConfigFlags } from '../config-flags.js'
import type { ConfigFlags } from '../config-flags.js'

function movedLines (moves: readonly PortMove[]): string {
  return moves.map((m) => `port ${m.from} (${m.key}) is in use: using ${m.to} instead (written to config.json)\n`).join('')
}

async function create (home: string, command: Command, flags: ConfigFlags): Promise<{ deviceId: string, moves: PortMove[] }> {
  const { deviceId, portMoves } = await initHome(home, { overlay: overlayOfFlags(givenFlags(command, flags)) })
  return { deviceId, moves: portMoves }
}

/** Applies settings flags given to `weft daemon` on an existing home; prints and writes what changed. */
async function applyToExisting (home: string, flags: ConfigFlags, out: NodeJS.WritableStream): Promise<void> {
  if (Object.keys(flags).length === 0) return
  const paths = homePaths(home)
  const holder = await lockHolder(paths.lock)
  if (holder !== undefined) throw new WeftError('ALREADY_EXISTS', `a weft daemon (pid ${holder}) is already running with this home`)
  const before = await loadConfig(paths.config)
  const after = validateConfig(overlayConfig(overlayOfFlags(flags))(before), 'flags')
  const changes = describeChanges(before, after)
  if (JSON.stringify(after) !== JSON.stringify(before)) await saveConfig(paths.config, after)
  out.write(changes.length === 0 ? 'flags: config.json already has these settings\n' : `flags written to config.json: ${changes.join('; ')}\n`)
}

function banner (daemon: Daemon): string {
  const s = daemon.status()
  return [
    `weft ${s.version} running as "${s.name}"`,
    `  device ID  ${s.deviceId}`,
    `  API        ${s.api}   (local API; token in ${daemon.paths.apiToken})`,
    `  dashboard  ${daemon.api.loginLink()}   (one-time sign-in link, 15 min; later: weft open)`,
    `  listening  ${s.addresses.join('  ') || '(nothing)'}`,
    `  home       ${s.home}   (log: ${daemon.paths.log})`,
    s.networks.length === 0
      ? '  To invite another device: weft net create NAME, then weft net invite NAME, and on the other device: weft net join CODE'
      : `  networks   ${s.networks.map((n) => `${n.name} (${n.members} members)`).join(', ')}. Invite with: weft net invite ${s.networks[0]?.name ?? 'NAME'}`,
    '  Stop with Ctrl-C.'
  ].join('\n')
}

/** Registers `init` and `daemon`. */
export function registerLocalCommands (program: Command): void {
  withConfigFlags(program.command('init').description('create this device\'s identity and config (taken default ports are replaced by free ones); refuses to overwrite an existing one'))
    .action(async (flags: ConfigFlags, command: Command) => {
      const ctx = contextOf(command)
      const { deviceId, moves } = await create(ctx.home, command, flags)
      if (ctx.json) printJson({ deviceId, home: ctx.home, portMoves: moves })
      else process.stdout.write(`${movedLines(moves)}initialized ${ctx.home}\ndevice ID ${deviceId}\n`)
    })

  withConfigFlags(program.command('daemon').description('run the node in the foreground (creates an identity on first run; settings flags on an existing home are written to its config); SIGINT/SIGTERM stop it cleanly'))
    .action(async (flags: ConfigFlags, command: Command) => {
      const ctx = contextOf(command)
      // With --json, stdout carries only the status; notices go to stderr.
      const out = ctx.json ? process.stderr : process.stdout
      if (!await isInitialized(ctx.home)) {
        const { deviceId, moves } = await create(ctx.home, command, flags)
        out.write(`${movedLines(moves)}created a new device identity in ${ctx.home} (${deviceId})\n`)
      } else {
        await applyToExisting(ctx.home, givenFlags(command, flags), out)
      }
      // Loaded here so that client commands do not pay for loading libp2p.
      const { Daemon } = await import('../../daemon/daemon.js')
      let daemon = await Daemon.open(ctx.home)
      // A promise some library left rejected with no handler is a bug, but not one worth
      // taking every network, sync and tunnel down for: it is logged (log and stderr) and the
      // daemon keeps running. A thrown exception still ends the process, after being logged.
      process.on('unhandledRejection', (reason) => {
        daemon.log.error({ err: reason }, 'unhandled promise rejection (a bug; the daemon keeps running)')
        reportError(reason, 'unhandled promise rejection (a bug; the daemon keeps running; details in the log): ')
      })
      process.on('uncaughtExceptionMonitor', (err) => {
        daemon.log.fatal({ err }, 'uncaught exception; the daemon exits')
      })
      for (let attempt = 1; ; attempt++) {
        out.write(movedLines(daemon.portMoves))
        try {
          await daemon.start()
          break
        } catch (err) {
          // Two daemons creating their homes at once may pick the same free port: the loser picks again.
          if (!(err instanceof PortRaceError) || attempt === 3) throw err
          daemon = await Daemon.open(ctx.home)
        }
      }
      if (ctx.json) printJson(daemon.status())
      else process.stdout.write(banner(daemon) + '\n')
      await new Promise<void>((resolve) => {
        let stopping = false
        const onSignal = (signal: string): void => {
          if (stopping) {
            process.stderr.write(`weft: ${signal} again, exiting now\n`)
            process.exit(130)
          }
          stopping = true
          process.stdout.write(`weft: ${signal}, stopping\n`)
          daemon.stop().then(resolve, (err: unknown) => {
            reportError(err, 'error while stopping: ')
            process.exitCode = 1
            resolve()
          })
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      })
    })
}

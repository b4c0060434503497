/**
 * `weft service install|uninstall|status`: run the daemon of a home at login and again when
 * it fails, as a systemd user unit (Linux) or a launchd agent (macOS). `--print` shows what
 * would be written or run and changes nothing.
 */
import type { Command } from 'commander'
import { dirname, join } from 'node:path'
import { homePaths, resolveHome } from '../../daemon/home.js'
import { lockHolder } from '../../daemon/lock.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'
import { shellWord } from '../service/units.js'
import { installService, planService, serviceStatus, uninstallService } from '../service/manager.js'
import type { ServiceChange, ServiceEnv, ServicePlan } from '../service/manager.js'

interface ServiceFlags { print?: boolean, name?: string }

function plan (command: Command, flags: ServiceFlags): { plan: ServicePlan, world: ServiceEnv, json: boolean } {
  const ctx = contextOf(command)
  const world: ServiceEnv = { env: process.env, platform: process.platform }
  const isDefault = ctx.home === resolveHome(undefined, { ...process.env, WEFT_HOME: undefined })
  return { plan: planService(ctx.home, isDefault, flags.name, world), world, json: ctx.json }
}

function report (change: ServiceChange, json: boolean, after: string[] = []): void {
  if (json) return printJson({ file: change.plan.file, name: change.plan.platform === 'linux' ? change.plan.names.unit : change.plan.names.label, done: change.done, todo: change.todo })
  const lines = [...change.done]
  if (change.todo.length > 0) {
    const manager = change.plan.platform === 'linux' ? 'systemctl' : 'launchctl'
    lines.push(change.plan.manager === undefined ? `${manager} was not found on PATH; run:` : 'then run by hand:', ...change.todo.map((c) => `  ${c}`))
  }
  process.stdout.write([...lines, ...after].join('\n') + '\n')
}

function withName (command: Command): Command {
  return command.option('--name <name>', 'service instance name (default: weft for the default home, weft@DIRNAME for another)')
}

/** Registers the `service` command group. */
export function registerServiceCommands (program: Command): void {
  const service = program.command('service').description('run the daemon at login and restart it on failure (systemd user unit, launchd agent)')

  withName(service.command('install').description('write the service definition, enable and start it'))
    .option('--print', 'print the unit (or plist) and change nothing')
    .action(async (flags: ServiceFlags, command: Command) => {
      const { plan: p, world, json } = plan(command, flags)
      if (flags.print === true) return void process.stdout.write(p.text)
      const running = await lockHolder(join(homePaths(contextOf(command).home).root, 'daemon.lock'))
      const change = await installService(p, world)
      report(change, json, [
        ...(p.platform === 'linux' && change.todo.length === 0 ? [`${p.names.unit} runs now and at every login; to keep it running while logged out: loginctl enable-linger ${process.env.USER ?? '$USER'}`] : []),
        ...(running === undefined ? [] : [`note: a weft daemon (pid ${running}) already runs with this home; unless it is this service, stop it: the service cannot start while it runs`])
      ])
    })

  withName(service.command('uninstall').description('stop and disable the service and remove its definition'))
    .option('--print', 'print what would be removed and run, and change nothing')
    .action(async (flags: ServiceFlags, command: Command) => {
      const { plan: p, world, json } = plan(command, flags)
      if (flags.print === true) {
        const commands = p.platform === 'linux' ? [`systemctl --user disable --now ${p.names.unit}`, `rm -f ${shellWord(p.file)} ${shellWord(join(dirname(p.file), 'default.target.wants', p.names.unit))}`, 'systemctl --user daemon-reload'] : [`launchctl bootout gui/$UID/${p.names.label}`, `rm -f ${shellWord(p.file)}`]
        return void process.stdout.write(commands.join('\n') + '\n')
      }
      report(await uninstallService(p, world), json)
    })

  withName(service.command('status').description('whether the service is installed, enabled and running'))
    .action(async (flags: ServiceFlags, command: Command) => {
      const { plan: p, world, json } = plan(command, flags)
      const s = await serviceStatus(p, world)
      if (json) return printJson(s)
      const yesNo = (v: boolean | null): string => v === null ? `unknown (${p.platform === 'linux' ? 'systemctl' : 'launchctl'} not available)` : v ? 'yes' : 'no'
      process.stdout.write([
        `service    ${s.name}`,
        `file       ${s.file}`,
        `installed  ${s.installed ? 'yes' : 'no (weft service install)'}`,
        ...(s.home === undefined ? [] : [`home       ${s.home}`]),
        `enabled    ${s.installed ? yesNo(s.enabled) : 'no'}`,
        `running    ${yesNo(s.running)}`
      ].join('\n') + '\n')
    })
}

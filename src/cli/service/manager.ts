/**
 * Installs, removes and inspects the service that runs the daemon at login: the definition
 * file (src/cli/service/units.ts) placed under the user's HOME (or XDG_CONFIG_HOME), then
 * `systemctl --user` or `launchctl` when they are on PATH. Everything comes from the
 * environment it is given, so tests point it at a temporary HOME with no service manager.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, realpathSync } from 'node:fs'
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WeftError } from '../../core/errors.js'
import { launchdPlist, serviceNames, shellWord, systemdUnit } from './units.js'
import type { ServiceNames, ServiceSpec } from './units.js'

/** Platforms with a service manager weft knows. */
export type ServicePlatform = 'linux' | 'darwin'

/** Where and how a service is defined for one home. */
export interface ServicePlan {
  platform: ServicePlatform
  names: ServiceNames
  /** The definition file. */
  file: string
  /** Its content. */
  text: string
  /** The service manager command, when found on PATH. */
  manager?: string
}

/** What `weft service status` reports. */
export interface ServiceStatus {
  platform: ServicePlatform
  name: string
  file: string
  installed: boolean
  /** Null when no service manager could be asked. */
  enabled: boolean | null
  running: boolean | null
  /** The home the installed definition runs, when it names one. */
  home?: string
}

/** What the manager needs from the world. */
export interface ServiceEnv {
  env: NodeJS.ProcessEnv
  platform: NodeJS.Platform
  /** Runs a command; resolves with its exit code and output (never rejects). */
  run?: (command: string, args: string[]) => Promise<{ code: number, output: string }>
}

/** The `weft` launcher of this installation (symlinks resolved: npm links bin/ into its prefix). */
export function launcherPath (): string {
  const path = fileURLToPath(new URL('../../../../bin/weft', import.meta.url))
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

/** Finds `command` on the PATH of `env`. */
export function findOnPath (command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory; look in the next
    }
  }
  return undefined
}

function servicePlatform (platform: NodeJS.Platform): ServicePlatform {
  if (platform === 'linux' || platform === 'darwin') return platform
  throw new WeftError('INVALID_ARGUMENT', `weft service supports Linux (systemd) and macOS (launchd), not ${platform}; run "weft daemon" under your system's service manager`)
}

function userHome (env: NodeJS.ProcessEnv): string {
  const home = env.HOME
  if (home === undefined || home === '') throw new WeftError('INVALID_ARGUMENT', 'HOME is not set: cannot tell where user services live')
  return home
}

/** Plans the service of `home` (nothing is changed). */
export function planService (home: string, isDefaultHome: boolean, name: string | undefined, world: ServiceEnv): ServicePlan {
  const platform = servicePlatform(world.platform)
  const names = serviceNames(home, isDefaultHome, name)
  // Node's own directory first: a service manager's PATH often lacks the one node came from.
  const path = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].filter((d, i, all) => all.indexOf(d) === i).join(':')
  const spec: ServiceSpec = { weft: launcherPath(), home, path }
  if (platform === 'linux') {
    const config = world.env.XDG_CONFIG_HOME !== undefined && world.env.XDG_CONFIG_HOME !== '' ? world.env.XDG_CONFIG_HOME : join(userHome(world.env), '.config')
    return { platform, names, file: join(config, 'systemd', 'user', names.unit), text: systemdUnit(spec), manager: findOnPath('systemctl', world.env) }
  }
  const file = join(userHome(world.env), 'Library', 'LaunchAgents', `${names.label}.plist`)
  return { platform, names, file, text: launchdPlist(spec, names.label, { stdout: join(home, 'service.out.log'), stderr: join(home, 'service.err.log') }), manager: findOnPath('launchctl', world.env) }
}

const defaultRun = async (command: string, args: string[]): Promise<{ code: number, output: string }> => await new Promise((resolve) => {
  execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) => {
    resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: `${stdout}${stderr}`.trim() })
  })
})

/** The home an installed definition runs (from `--home ARG`), if it can be read. */
function homeOf (text: string): string | undefined {
  const systemd = /^ExecStart=.* --home ("(?:[^"\\]|\\.)*"|\S+)\s*$/m.exec(text)?.[1]
  if (systemd !== undefined) return systemd.startsWith('"') ? systemd.slice(1, -1).replace(/\\(.)/g, '$1').replace(/%%/g, '%').replace(/\$\$/g, '$') : systemd.replace(/%%/g, '%').replace(/\$\$/g, '$')
  const plist = /<string>--home<\/string>\s*<string>([^<]*)<\/string>/.exec(text)?.[1]
  return plist?.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

/** The outcome of install or uninstall: what was done, and what the user still has to run. */
export interface ServiceChange {
  plan: ServicePlan
  done: string[]
  /** Commands to run by hand (no service manager found, or it failed). */
  todo: string[]
}

/** Writes the definition and enables and starts it when the service manager is there. */
export async function installService (plan: ServicePlan, world: ServiceEnv): Promise<ServiceChange> {
  const existing = await readFile(plan.file, 'utf8').catch(() => undefined)
  const existingHome = existing === undefined ? undefined : homeOf(existing)
  const home = homeOf(plan.text)
  if (existingHome !== undefined && existingHome !== home) {
    throw new WeftError('ALREADY_EXISTS', `${plan.file} already runs the home ${existingHome}; give this one another name with --name NAME, or uninstall that one first`)
  }
  await mkdir(dirname(plan.file), { recursive: true })
  await writeFile(plan.file, plan.text, { mode: 0o644 })
  const done = [`wrote ${plan.file}`]
  const commands = plan.platform === 'linux'
    ? [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', plan.names.unit]]
    : [['launchctl', 'bootstrap', `gui/${uid()}`, plan.file]]
  return { plan, done, todo: await runAll(plan, commands, done, world) }
}

/** Stops and disables the service when the service manager is there, and removes the definition. */
export async function uninstallService (plan: ServicePlan, world: ServiceEnv): Promise<ServiceChange> {
  const done: string[] = []
  const linux = plan.platform === 'linux'
  const before = linux
    ? [['systemctl', '--user', 'disable', '--now', plan.names.unit]]
    : [['launchctl', 'bootout', `gui/${uid()}/${plan.names.label}`]]
  // Without systemctl, what `enable` made (a link in default.target.wants) goes with the file,
  // and a service still running is stopped by hand (a loaded unit stops without its file).
  const todo = plan.manager === undefined && linux ? [`systemctl --user stop ${plan.names.unit}`] : await runAll(plan, before, done, world)
  const wants = join(dirname(plan.file), 'default.target.wants', plan.names.unit)
  for (const path of linux ? [plan.file, wants] : [plan.file]) {
    const existed = await lstat(path).then(() => true, () => false)
    await rm(path, { force: true })
    if (existed) done.push(`removed ${path}`)
  }
  if (linux) todo.push(...await runAll(plan, [['systemctl', '--user', 'daemon-reload']], done, world))
  return { plan, done, todo }
}

/** Whether the service is installed, enabled and running. */
export async function serviceStatus (plan: ServicePlan, world: ServiceEnv): Promise<ServiceStatus> {
  const text = await readFile(plan.file, 'utf8').catch(() => undefined)
  const home = text === undefined ? undefined : homeOf(text)
  const base = { platform: plan.platform, name: plan.platform === 'linux' ? plan.names.unit : plan.names.label, file: plan.file, installed: text !== undefined, ...(home === undefined ? {} : { home }) }
  const run = world.run ?? defaultRun
  if (plan.manager === undefined) return { ...base, enabled: null, running: null }
  if (plan.platform === 'linux') {
    const enabled = await run(plan.manager, ['--user', 'is-enabled', plan.names.unit])
    const active = await run(plan.manager, ['--user', 'is-active', plan.names.unit])
    // Without a user manager (no login session) systemctl fails; say "unknown", not "no".
    if (/Failed to connect|No medium found/i.test(enabled.output)) return { ...base, enabled: null, running: null }
    return { ...base, enabled: enabled.code === 0, running: active.code === 0 }
  }
  const printed = await run(plan.manager, ['print', `gui/${uid()}/${plan.names.label}`])
  return { ...base, enabled: printed.code === 0, running: printed.code === 0 && /state = running/.test(printed.output) }
}

/** Runs `commands` in order while they succeed; returns those left to run by hand. */
async function runAll (plan: ServicePlan, commands: string[][], done: string[], world: ServiceEnv): Promise<string[]> {
  const run = world.run ?? defaultRun
  for (const [i, [command, ...args]] of commands.entries()) {
    if (plan.manager === undefined) return commands.slice(i).map((c) => c.map(shellWord).join(' '))
    const result = await run(plan.manager, args)
    if (result.code !== 0) {
      done.push(`${[command, ...args].join(' ')} failed: ${result.output.split('\n')[0] ?? ''}`)
      return commands.slice(i).map((c) => c.map(shellWord).join(' '))
    }
    done.push(`ran ${[command, ...args].join(' ')}`)
  }
  return []
}

function uid (): number {
  return process.getuid?.() ?? 0
}

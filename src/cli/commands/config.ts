/**
 * `weft config ls|get|set`: read and change `<home>/config.json` by dotted keys
 * (`p2p.relay.enabled`), with or without a running daemon. Values are validated by the
 * config schema and written atomically; the daemon reads them when it starts.
 */
import type { Command } from 'commander'
import { loadConfig, portKeys, saveConfig } from '../../daemon/config.js'
import { describeChanges, flattenConfig, formatSetting, getSetting, parseSettingValue, setSetting } from '../../daemon/config-keys.js'
import { homePaths } from '../../daemon/home.js'
import { lockHolder } from '../../daemon/lock.js'
import { findTakenPort, probeBind } from '../../daemon/ports.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

/** Registers the `config` command group. */
export function registerConfigCommands (program: Command): void {
  const config = program.command('config').description('read and change this device\'s settings (config.json), daemon running or not')

  config.command('ls').description('every setting as KEY = VALUE (dotted keys as in config.json)')
    .action(async (_f: unknown, command: Command) => {
      const ctx = contextOf(command)
      const current = await loadConfig(homePaths(ctx.home).config)
      if (ctx.json) return printJson(current)
      for (const [key, value] of flattenConfig(current)) process.stdout.write(`${key} = ${formatSetting(value)}\n`)
    })

  config.command('get <key>').description('print one setting (e.g. api.port, p2p.relay.enabled)')
    .action(async (key: string, _f: unknown, command: Command) => {
      const ctx = contextOf(command)
      const value = getSetting(await loadConfig(homePaths(ctx.home).config), key)
      if (ctx.json) return printJson(value ?? null)
      process.stdout.write(formatSetting(value) + '\n')
    })

  config.command('set <key> <value>').description('change one setting (validated); lists: a,b or a JSON array; off for none; durations such as 30s')
    .action(async (key: string, text: string, _f: unknown, command: Command) => {
      const ctx = contextOf(command)
      const paths = homePaths(ctx.home)
      const before = await loadConfig(paths.config)
      const after = setSetting(before, key, parseSettingValue(key, text))
      const changes = describeChanges(before, after)
      if (changes.length > 0 || JSON.stringify(after.autoPorts) !== JSON.stringify(before.autoPorts)) await saveConfig(paths.config, after)
      const pid = await lockHolder(paths.lock)
      const restart = changes.length > 0 && pid !== undefined
      const portKey = portKeys.find((k) => k === key)
      const taken = pid === undefined && portKey !== undefined ? await findTakenPort(after, [portKey], probeBind) : undefined
      if (ctx.json) return printJson({ key, value: getSetting(after, key) ?? null, changed: changes.length > 0, restartNeeded: restart })
      if (changes.length === 0) process.stdout.write(`${key} is already ${formatSetting(getSetting(after, key))}\n`)
      for (const line of changes) process.stdout.write(line + '\n')
      if (restart) process.stdout.write(`restart the daemon to apply (pid ${pid} runs with the old settings)\n`)
      else if (changes.length > 0) process.stdout.write('the daemon uses it when it starts\n')
      if (taken !== undefined) process.stdout.write(`note: port ${taken.slot.port} is in use by another program now; the daemon will not start on it\n`)
    })
}

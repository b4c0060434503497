/**
 * `weft syncthing ...`: this device as Syncthing devices see it. `weft syncthing id` prints the
 * Syncthing device ID (from the certificate in the home, created on first use; no daemon needed);
 * `add`, `ls` and `remove` manage the Syncthing devices the daemon syncs with.
 */
import type { Command } from 'commander'
import { WeftError } from '../../core/errors.js'
import { loadDeviceKey } from '../../identity/device-key.js'
import { loadOrCreateSyncthingIdentity } from '../../identity/syncthing-cert.js'
import { homePaths } from '../../daemon/home.js'
import { contextOf } from '../context.js'
import { printJson, printTable } from '../output.js'
import type { SyncthingDevicesView } from '../../features/sync/syncthing/views.js'

/** Registers the `syncthing` command group. */
export function registerSyncthingCommands (program: Command): void {
  const syncthing = program.command('syncthing').description('this device as a Syncthing device')
  syncthing.command('id').description('this device\'s Syncthing device ID (SHA-256 of its certificate)').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    // Only an initialized home gets a Syncthing identity (so a typo in --home creates nothing).
    await loadDeviceKey(homePaths(ctx.home).deviceKey).catch((err: unknown) => {
      throw err instanceof WeftError ? err : new WeftError('NOT_INITIALIZED', `${ctx.home} is not a weft home (run weft init)`)
    })
    const { deviceId } = await loadOrCreateSyncthingIdentity(ctx.home)
    if (ctx.json) printJson({ syncthingDeviceId: deviceId })
    else process.stdout.write(deviceId + '\n')
  })

  syncthing.command('add <deviceId> <address>').description('sync with a Syncthing device, dialled at tcp://HOST:PORT (or "dynamic": it calls us)')
    .option('--name <name>', 'a name for the device')
    .action(async (id: string, address: string, flags: { name?: string }, command: Command) => {
      const ctx = contextOf(command)
      const view = await (await ctx.client()).request<SyncthingDevicesView>('POST', '/syncthing/devices', { id, address, name: flags.name })
      if (ctx.json) return printJson(view)
      const added = view.devices.find((d) => d.id.replace(/-/g, '') === id.toUpperCase().replace(/[-\s]/g, ''))
      process.stdout.write(`added Syncthing device ${added?.id ?? id} at ${address}\non that device, add this one: ${view.id}${view.listen === null ? ' (address: dynamic; weft dials it)' : ` at ${view.listen}`}\nshare a folder with it: weft folder share FOLDER --syncthing ${added?.id ?? id}\n`)
    })

  syncthing.command('ls').description('Syncthing devices: connection, software, shared folders; devices that called but are unknown').action(async (_f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const view = await (await ctx.client()).request<SyncthingDevicesView>('GET', '/syncthing')
    if (ctx.json) return printJson(view)
    process.stdout.write(`this device: ${view.id}   listening: ${view.listen ?? 'off'}\n`)
    if (view.devices.length === 0) process.stdout.write('no Syncthing devices: weft syncthing add DEVICE_ID tcp://HOST:PORT\n')
    else printTable(['DEVICE', 'NAME', 'CONNECTED', 'CLIENT', 'ADDRESS', 'FOLDERS'], view.devices.map((d) => [d.id.slice(0, 7), d.name, d.connected ? 'yes' : 'no', d.peer?.client ?? '-', d.addresses.join(' '), d.folders.join(',') || '-']))
    for (const p of view.pending) process.stdout.write(`pending: ${p.device} called from ${p.address}; accept with: weft syncthing add ${p.device} dynamic\n`)
  })

  syncthing.command('remove <deviceId>').description('forget a Syncthing device (folders stop syncing with it)').action(async (id: string, _f: unknown, command: Command) => {
    const ctx = contextOf(command)
    const result = await (await ctx.client()).request('DELETE', `/syncthing/devices/${encodeURIComponent(id)}`)
    if (ctx.json) printJson(result)
    else process.stdout.write(`removed Syncthing device ${id}\n`)
  })
}
